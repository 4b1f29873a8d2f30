"""Local kernel confinement of a child process: Landlock, seccomp, the launcher, Seatbelt."""
