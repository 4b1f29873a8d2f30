/* sbx-agent: runs a ContainerSandbox's commands from inside its container.
 *
 *   sbx-agent serve [PORT]   read requests on stdin, answer on stdout (below); with PORT,
 *                            also carry 127.0.0.1:PORT connections to the library
 *   sbx-agent idle     wait for a signal: the container's PID 1 program (under Docker's init)
 *
 * Why: every `docker exec` is a trip through the daemon, containerd and runc (tens of
 * milliseconds). ContainerSandbox starts this program once per container with one exec,
 * keeps that exec's stream open, and asks it to fork each command: the command runs in the
 * same container, as the same user, under the same capabilities, seccomp filter, cgroup and
 * mounts as an exec would, since it descends from one.
 *
 * It is linked statically, so it runs in any image (scratch, musl, glibc) without a shell,
 * and is bind-mounted read-only from the package into the container.
 *
 * Protocol: frames of a 9-byte header (payload length u32, type u8, command id u32; all
 * big-endian) and a payload.
 *   requests   'R' run:  cwd NUL, argc u32, argc strings NUL-terminated, envc u32, envc
 *                        "NAME=VALUE" strings NUL-terminated, input length u32, input bytes
 *              'K' kill: the command's whole tree (empty payload)
 *              'M' more: u32 bytes of the command's output the library has taken; the agent
 *                  sends at most WINDOW bytes of a command's output not yet taken
 *   answers    'O' / 'E' stdout / stderr bytes
 *              'X' exit: status i32 (the exit code, or 128 + signal), after all output
 * A command that cannot start gets a message on 'E' and 'X' 127 (not found) or 126.
 * EOF on stdin (the library closed the stream, or its process died) kills every command's
 * tree and ends the agent: nothing it started outlives the session.
 *
 * The tunnel (`sbx-agent serve PORT`): the container has no network interface but loopback.
 * The agent listens on 127.0.0.1:PORT inside it, and each connection a command makes there
 * is carried over the same stream to the library, which connects it to the egress proxy on
 * its own machine: the proxy is the only place a command's traffic can go. Frames, with a
 * connection id in place of the command id:
 *   agent -> library   'A' accepted, 'F' bytes from the client, 'C' the client is done
 *                      (u8 0: it sent EOF, 1: the connection is gone), 'W' credit (u32)
 *   library -> agent   'T' bytes for the client, 'S' upstream EOF, 'Z' abort, 'W' credit
 * Credit is flow control: each side sends at most WINDOW bytes the other has not yet
 * written onward, so neither buffers without bound.
 *
 * A command's tree: it starts in a new session (its pid is its session and group id) and
 * with SANDBOX_EXEC=<token> in its environment, given by the library. The kill takes every
 * process in that session or group, or whose environment holds the marker, or whose
 * parent was taken, until a pass finds none. The agent is a child subreaper, so orphans of
 * a command are reparented to it and reaped here instead of lingering as zombies.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COMMANDS 256
#define MAX_FRAME (64u << 20) /* a request with its input; the library sends no more */
#define HEADER 9
#define CHUNK 65536
#define MARKER "SANDBOX_EXEC="
#define MAX_TOKEN 64
#define MAX_ENVIRON (256u << 10)
#define KILL_PASSES 50
#define MAX_CONNS 256
#define WINDOW (1u << 20)

struct command {
    int used;
    uint32_t id;
    pid_t pid;         /* also its session and process group id */
    int out_fd, err_fd, in_fd;
    char *input;
    size_t input_len, input_off;
    int exited, status;
    size_t credit;      /* output bytes the library will still take (flow control) */
    char token[MAX_TOKEN + 1];
};

static struct command commands[MAX_COMMANDS];
extern char **environ;

struct conn {
    int used;
    uint32_t id;
    int fd;
    char *out;          /* from the library, not yet written to the client (<= WINDOW) */
    size_t out_len;
    size_t credit;      /* bytes we may still send to the library */
    int client_eof;     /* the client sent EOF ('C' 0 sent) */
    int upstream_eof;   /* the library sent 'S': shut the client's write side once flushed */
    int shut_done;
};

static struct conn conns[MAX_CONNS];
static uint32_t next_conn = 1;

/* ---- output frames ------------------------------------------------------------------ */

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* stdout is the library's only channel: when it is gone there is no one left to serve. */
static void send_frame(char type, uint32_t id, const void *payload, uint32_t len) {
    unsigned char header[HEADER];
    put32(header, len);
    header[4] = (unsigned char)type;
    put32(header + 5, id);
    if (write_all(1, header, HEADER) < 0 || (len && write_all(1, payload, len) < 0))
        _exit(3);
}

static void send_exit(struct command *c) {
    unsigned char status[4];
    put32(status, (uint32_t)c->status);
    send_frame('X', c->id, status, 4);
}

/* ---- the tree of a command ----------------------------------------------------------- */

/* Fields 4-6 of /proc/PID/stat (ppid, pgrp, session), read after the last ')' since the
 * command name may hold spaces and parentheses. */
static int proc_stat(pid_t pid, char *state_out, pid_t *ppid, pid_t *pgrp, pid_t *sid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    int a, b, c;
    char state;
    if (sscanf(p + 1, " %c %d %d %d", &state, &a, &b, &c) != 4)
        return -1;
    *state_out = state;
    *ppid = a;
    *pgrp = b;
    *sid = c;
    return 0;
}

static int has_marker(pid_t pid, const char *token) {
    static char buf[MAX_ENVIRON];
    char path[64], want[sizeof MARKER + MAX_TOKEN + 1];
    if (token[0] == 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) > 0)
        len += (size_t)n;
    close(fd);
    int wlen = snprintf(want, sizeof want, "%s%s", MARKER, token);
    /* Entries are NUL-separated: match a whole entry, at the start or after a NUL. */
    for (size_t at = 0; at + (size_t)wlen <= len;) {
        char *hit = memmem(buf + at, len - at, want, (size_t)wlen);
        if (hit == NULL)
            return 0;
        size_t off = (size_t)(hit - buf);
        if ((off == 0 || buf[off - 1] == 0) && (off + (size_t)wlen == len || buf[off + (size_t)wlen] == 0))
            return 1;
        at = off + 1;
    }
    return 0;
}

#define MAX_TAKEN 4096

static void kill_tree(const struct command *c) {
    pid_t self = getpid();
    /* Once the command itself was reaped its pid may be reused, by another command's
     * session leader even: from then on only the marker identifies its tree. */
    int by_pid = !c->exited;
    for (int pass = 0; pass < KILL_PASSES; pass++) {
        static pid_t taken[MAX_TAKEN], parent[MAX_TAKEN], all[MAX_TAKEN];
        size_t ntaken = 0, nall = 0;
        DIR *proc = opendir("/proc");
        if (proc == NULL)
            break;
        struct dirent *d;
        while ((d = readdir(proc)) != NULL && nall < MAX_TAKEN && ntaken < MAX_TAKEN) {
            char *end;
            long v = strtol(d->d_name, &end, 10);
            if (*end || v <= 1 || (pid_t)v == self)
                continue;
            pid_t ppid, pgrp, sid;
            char state;
            /* A zombie is dead already (only its parent's wait removes it): counting it would
             * keep the passes going until the last one. */
            if (proc_stat((pid_t)v, &state, &ppid, &pgrp, &sid) < 0 || state == 'Z')
                continue;
            if ((by_pid && (sid == c->pid || pgrp == c->pid || (pid_t)v == c->pid)) || has_marker((pid_t)v, c->token))
                taken[ntaken++] = (pid_t)v;
            else {
                all[nall] = (pid_t)v;
                parent[nall++] = ppid;
            }
        }
        closedir(proc);
        /* Descendants of what was taken, to a fixpoint (a child that left the session and
         * cleared its environment is still a child). */
        for (int grew = 1; grew;) {
            grew = 0;
            for (size_t i = 0; i < nall; i++) {
                if (all[i] == 0)
                    continue;
                for (size_t j = 0; j < ntaken; j++) {
                    if (parent[i] == taken[j] && ntaken < MAX_TAKEN) {
                        taken[ntaken++] = all[i];
                        all[i] = 0;
                        grew = 1;
                        break;
                    }
                }
            }
        }
        if (ntaken == 0)
            return;
        for (size_t j = 0; j < ntaken; j++)
            kill(taken[j], SIGKILL);
        if (by_pid)
            kill(-c->pid, SIGKILL);
        usleep(2000);
    }
}

/* ---- starting a command --------------------------------------------------------------- */

static const char *next_string(const char **p, const char *end) {
    const char *s = *p;
    const char *nul = memchr(s, 0, (size_t)(end - s));
    if (nul == NULL)
        return NULL;
    *p = nul + 1;
    return s;
}

static int read_u32(const char **p, const char *end, uint32_t *out) {
    if (end - *p < 4)
        return -1;
    *out = get32((const unsigned char *)*p);
    *p += 4;
    return 0;
}

static void fail_start(uint32_t id, const char *what, int err) {
    char msg[512];
    int n = snprintf(msg, sizeof msg, "sandbox: cannot run %s: %s\n", what, strerror(err));
    send_frame('E', id, msg, (uint32_t)(n < 0 ? 0 : (n >= (int)sizeof msg ? (int)sizeof msg - 1 : n)));
    unsigned char status[4];
    put32(status, err == ENOENT ? 127u : 126u);
    send_frame('X', id, status, 4);
}

static void start(uint32_t id, const char *payload, uint32_t len) {
    const char *p = payload, *end = payload + len;
    const char *cwd = next_string(&p, end);
    uint32_t argc, envc, input_len;
    if (cwd == NULL || read_u32(&p, end, &argc) < 0 || argc == 0 || argc > 65536) {
        fail_start(id, "(malformed request)", EINVAL);
        return;
    }
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    char **envp = NULL;
    struct command *c = NULL;
    if (argv == NULL) {
        fail_start(id, "(request)", ENOMEM);
        return;
    }
    for (uint32_t i = 0; i < argc; i++)
        if ((argv[i] = (char *)next_string(&p, end)) == NULL)
            goto malformed;
    if (read_u32(&p, end, &envc) < 0 || envc > 65536)
        goto malformed;
    if ((envp = calloc((size_t)envc + 1, sizeof *envp)) == NULL)
        goto malformed;
    for (uint32_t i = 0; i < envc; i++)
        if ((envp[i] = (char *)next_string(&p, end)) == NULL)
            goto malformed;
    if (read_u32(&p, end, &input_len) < 0 || (uint32_t)(end - p) != input_len)
        goto malformed;
    for (int i = 0; i < MAX_COMMANDS; i++)
        if (!commands[i].used) {
            c = &commands[i];
            break;
        }
    if (c == NULL) {
        fail_start(id, argv[0], EAGAIN);
        goto done;
    }
    memset(c, 0, sizeof *c);
    c->out_fd = c->err_fd = c->in_fd = -1;
    for (uint32_t i = 0; i < envc; i++)
        if (strncmp(envp[i], MARKER, sizeof MARKER - 1) == 0 && strlen(envp[i] + sizeof MARKER - 1) <= MAX_TOKEN)
            strcpy(c->token, envp[i] + sizeof MARKER - 1);

    int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1}, report[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 ||
        (input_len > 0 && pipe2(in, O_CLOEXEC) < 0)) {
        int e = errno;
        int fds[] = {out[0], out[1], err[0], err[1], in[0], in[1], report[0], report[1]};
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        fail_start(id, argv[0], e);
        goto done;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: its own session (the handle of its tree), its stdio, its cwd, its
         * environment, then exec. The agent is single-threaded, so nothing is held. */
        int stage = 0; /* what failed: 0 stdio, 1 the working directory, 2 the program */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        setsid();
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (dup2(input_len > 0 ? in[0] : null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
            goto child_failed;
        stage = 1;
        if (chdir(cwd) < 0)
            goto child_failed;
        stage = 2;
        environ = envp;
        execvp(argv[0], argv);
    child_failed:;
        int report_words[2] = {stage, errno};
        if (write(report[1], report_words, sizeof report_words) < 0) {
        }
        _exit(127);
    }
    int fork_errno = errno;
    close(out[1]);
    close(err[1]);
    close(report[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        close(report[0]);
        if (in[1] >= 0)
            close(in[1]);
        fail_start(id, argv[0], fork_errno);
        goto done;
    }
    /* The report pipe closes at exec (O_CLOEXEC): EOF means the program runs, 4 bytes are
     * the errno of what failed before it could. */
    int child_report[2] = {0, 0};
    ssize_t got;
    do
        got = read(report[0], child_report, sizeof child_report);
    while (got < 0 && errno == EINTR);
    int child_errno = child_report[1];
    close(report[0]);
    c->used = 1;
    c->id = id;
    c->pid = pid;
    c->out_fd = out[0];
    c->credit = WINDOW;
    c->err_fd = err[0];
    if (got == (ssize_t)sizeof child_report) {
        /* Not started: the child exits 127 and is reaped as usual; its status is replaced. */
        close(c->out_fd);
        close(c->err_fd);
        c->out_fd = c->err_fd = -1;
        if (in[1] >= 0)
            close(in[1]);
        char msg[512];
        int n = child_report[0] == 1
                    ? snprintf(msg, sizeof msg, "sandbox: cannot enter %s: %s\n", cwd, strerror(child_errno))
                    : snprintf(msg, sizeof msg, "sandbox: cannot run %s: %s\n", argv[0], strerror(child_errno));
        send_frame('E', id, msg, (uint32_t)(n < 0 ? 0 : (n >= (int)sizeof msg ? (int)sizeof msg - 1 : n)));
        c->status = child_errno == ENOENT && child_report[0] == 2 ? 127 : 126;
        c->token[0] = 0;
        c->input = NULL;
        c->exited = -1; /* waiting for the reap only; the status above stands */
        goto done;
    }
    if (input_len > 0) {
        c->input = malloc(input_len);
        if (c->input != NULL) {
            memcpy(c->input, p, input_len);
            c->input_len = input_len;
            c->in_fd = in[1];
            fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
        } else {
            close(in[1]);
        }
    }
    goto done;
malformed:
    fail_start(id, "(malformed request)", EINVAL);
done:
    free(argv);
    free(envp);
}

/* ---- the tunnel -------------------------------------------------------------------- */

static void close_conn(struct conn *k) {
    close(k->fd);
    free(k->out);
    memset(k, 0, sizeof *k);
}

static void conn_gone(struct conn *k) {
    unsigned char why = 1;
    send_frame('C', k->id, &why, 1);
    close_conn(k);
}

static void send_credit(uint32_t id, size_t n) {
    unsigned char credit[4];
    put32(credit, (uint32_t)n);
    send_frame('W', id, credit, 4);
}

static struct conn *find_conn(uint32_t id) {
    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used && conns[i].id == id)
            return &conns[i];
    return NULL;
}

static void accept_conn(int listener) {
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CONNS; i++)
        if (!conns[i].used) {
            struct conn *k = &conns[i];
            memset(k, 0, sizeof *k);
            k->used = 1;
            k->id = next_conn++;
            k->fd = fd;
            k->credit = WINDOW;
            send_frame('A', k->id, NULL, 0);
            return;
        }
    close(fd); /* every slot taken: refused like a full backlog */
}

/* Both directions finished: the client sent EOF and its write side was shut after the
 * library's last byte. */
static void maybe_close(struct conn *k) {
    if (k->client_eof && k->shut_done)
        close_conn(k);
}

static void shut_if_flushed(struct conn *k) {
    if (k->upstream_eof && k->out_len == 0 && !k->shut_done) {
        shutdown(k->fd, SHUT_WR);
        k->shut_done = 1;
        maybe_close(k);
    }
}

static void conn_readable(struct conn *k) {
    static char buf[CHUNK];
    size_t want = k->credit < sizeof buf ? k->credit : sizeof buf;
    ssize_t n = read(k->fd, buf, want);
    if (n > 0) {
        send_frame('F', k->id, buf, (uint32_t)n);
        k->credit -= (size_t)n;
    } else if (n == 0) {
        unsigned char why = 0;
        k->client_eof = 1;
        send_frame('C', k->id, &why, 1);
        maybe_close(k);
    } else if (errno != EAGAIN && errno != EINTR) {
        conn_gone(k);
    }
}

static void conn_writable(struct conn *k) {
    ssize_t n = write(k->fd, k->out, k->out_len);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            conn_gone(k);
        return;
    }
    memmove(k->out, k->out + n, k->out_len - (size_t)n);
    k->out_len -= (size_t)n;
    send_credit(k->id, (size_t)n);
    shut_if_flushed(k);
}

static void from_library(char type, uint32_t id, const char *payload, uint32_t len) {
    struct conn *k = find_conn(id);
    if (k == NULL)
        return; /* already closed on this side; the library learns it from 'C' */
    if (type == 'T') {
        if (k->upstream_eof || k->out_len + len > WINDOW) {
            conn_gone(k); /* past the credit it was given: not our library */
            return;
        }
        if (k->out == NULL && (k->out = malloc(WINDOW)) == NULL) {
            conn_gone(k);
            return;
        }
        memcpy(k->out + k->out_len, payload, len);
        k->out_len += len;
    } else if (type == 'S') {
        k->upstream_eof = 1;
        shut_if_flushed(k);
    } else if (type == 'Z') {
        close_conn(k);
    } else if (type == 'W' && len == 4) {
        k->credit += get32((const unsigned char *)payload);
        if (k->credit > WINDOW)
            k->credit = WINDOW;
    }
}

/* ---- the loop ---------------------------------------------------------------------- */

static struct command *find(uint32_t id) {
    for (int i = 0; i < MAX_COMMANDS; i++)
        if (commands[i].used && commands[i].id == id)
            return &commands[i];
    return NULL;
}

static void finish_if_done(struct command *c) {
    if (c->used && c->exited && c->out_fd < 0 && c->err_fd < 0) {
        send_exit(c);
        if (c->in_fd >= 0)
            close(c->in_fd);
        free(c->input);
        c->used = 0;
    }
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < MAX_COMMANDS; i++) {
            struct command *c = &commands[i];
            if (c->used && c->pid == pid) {
                if (c->exited != -1)
                    c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                c->exited = 1;
                finish_if_done(c);
            }
        }
        /* Anything else was an orphan of some command, reparented here: reaped, no more. */
    }
}

static void drain(struct command *c, int *fd, char type) {
    static char buf[CHUNK];
    ssize_t n = read(*fd, buf, c->credit < sizeof buf ? c->credit : sizeof buf);
    if (n > 0) {
        send_frame(type, c->id, buf, (uint32_t)n);
        c->credit -= (size_t)n;
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    close(*fd);
    *fd = -1;
    finish_if_done(c);
}

static void feed(struct command *c) {
    ssize_t n = write(c->in_fd, c->input + c->input_off, c->input_len - c->input_off);
    if (n > 0)
        c->input_off += (size_t)n;
    if ((n < 0 && errno != EAGAIN && errno != EINTR) || c->input_off == c->input_len) {
        close(c->in_fd); /* all of it written (or the command closed its stdin): EOF */
        c->in_fd = -1;
        free(c->input);
        c->input = NULL;
    }
}

static void shutdown_all(void) {
    for (int i = 0; i < MAX_COMMANDS; i++)
        if (commands[i].used)
            kill_tree(&commands[i]);
    _exit(0);
}

static int listen_on(const char *port_text) {
    char *end;
    long port = strtol(port_text, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int serve(int listener) {
    /* Orphans of commands come here to be reaped (Docker's init would reap them too, but
     * only here can their pipes and trees be accounted for). */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* Not dumpable: a command running as the same user cannot open /proc/<agent>/fd/1 and
     * forge answers into the library's stream, nor ptrace the agent (both need
     * CAP_SYS_PTRACE against a non-dumpable process; the container has no capabilities).
     * Commands are dumpable again: execve resets the flag. */
    prctl(PR_SET_DUMPABLE, 0);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return 2;
    unsigned char *in = NULL;
    size_t in_len = 0, in_cap = 0;
    struct pollfd fds[3 + 3 * MAX_COMMANDS + MAX_CONNS];
    struct command *owner[3 + 3 * MAX_COMMANDS + MAX_CONNS];
    struct conn *conn_of[3 + 3 * MAX_COMMANDS + MAX_CONNS];
    for (;;) {
        nfds_t n = 0;
        fds[n].fd = 0;
        fds[n++].events = POLLIN;
        fds[n].fd = sfd;
        fds[n++].events = POLLIN;
        fds[n].fd = listener; /* -1 without a tunnel: poll ignores it */
        fds[n++].events = POLLIN;
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *k = &conns[i];
            short events = (short)((!k->client_eof && k->credit > 0 ? POLLIN : 0) | (k->out_len ? POLLOUT : 0));
            if (k->used && events) {
                owner[n] = NULL;
                conn_of[n] = k;
                fds[n].fd = k->fd;
                fds[n++].events = events;
            }
        }
        for (int i = 0; i < MAX_COMMANDS; i++) {
            struct command *c = &commands[i];
            if (!c->used)
                continue;
            /* Output is read only while the library has room for it: a consumer that stops
             * reading stops the command (its pipe fills), not the agent's memory. */
            int list[3] = {c->credit ? c->out_fd : -1, c->credit ? c->err_fd : -1, c->in_fd};
            for (int k = 0; k < 3; k++)
                if (list[k] >= 0) {
                    owner[n] = c;
                    conn_of[n] = NULL;
                    fds[n].fd = list[k];
                    fds[n++].events = k == 2 ? POLLOUT : POLLIN;
                }
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 2;
        }
        if (fds[1].revents) {
            struct signalfd_siginfo info;
            while (read(sfd, &info, sizeof info) > 0) {
            }
            reap();
        }
        if (fds[2].revents)
            accept_conn(listener);
        for (nfds_t i = 3; i < n; i++) {
            struct conn *k = conn_of[i];
            if (k != NULL) {
                /* A connection handled earlier in this pass may have been closed: the id
                 * check keeps a reused slot from being served a stale event. */
                if (fds[i].revents && k->used && k->fd == fds[i].fd) {
                    if (fds[i].revents & POLLOUT)
                        conn_writable(k);
                    if (k->used && k->fd == fds[i].fd && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                        conn_readable(k);
                }
                continue;
            }
            struct command *c = owner[i];
            if (!fds[i].revents || !c->used)
                continue;
            if (fds[i].fd == c->out_fd)
                drain(c, &c->out_fd, 'O');
            else if (fds[i].fd == c->err_fd)
                drain(c, &c->err_fd, 'E');
            else if (fds[i].fd == c->in_fd)
                feed(c);
        }
        if (fds[0].revents) {
            if (in_cap - in_len < CHUNK) {
                size_t cap = in_cap ? in_cap * 2 : 2 * CHUNK;
                unsigned char *grown = realloc(in, cap);
                if (grown == NULL)
                    shutdown_all();
                in = grown;
                in_cap = cap;
            }
            ssize_t got = read(0, in + in_len, in_cap - in_len);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                shutdown_all(); /* the library is gone */
            if (got > 0)
                in_len += (size_t)got;
            size_t at = 0;
            while (in_len - at >= HEADER) {
                uint32_t len = get32(in + at), id = get32(in + at + 5);
                char type = (char)in[at + 4];
                if (len > MAX_FRAME)
                    shutdown_all(); /* not our library speaking */
                if (in_len - at < HEADER + (size_t)len) {
                    if (in_cap < HEADER + (size_t)len) {
                        unsigned char *grown = realloc(in, HEADER + (size_t)len);
                        if (grown == NULL)
                            shutdown_all();
                        in = grown;
                        in_cap = HEADER + (size_t)len;
                    }
                    break;
                }
                const char *payload = (const char *)in + at + HEADER;
                if (type == 'R')
                    start(id, payload, len);
                else if (type == 'M' && len == 4) {
                    struct command *c = find(id);
                    if (c != NULL && (c->credit += get32((const unsigned char *)payload)) > WINDOW)
                        c->credit = WINDOW;
                } else if (type == 'K') {
                    struct command *c = find(id);
                    if (c != NULL)
                        kill_tree(c);
                } else if (type == 'T' || type == 'S' || type == 'Z' || type == 'W')
                    from_library(type, id, payload, len);
                at += HEADER + len;
            }
            memmove(in, in + at, in_len - at);
            in_len -= at;
        }
    }
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "serve") == 0)
        return serve(-1);
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        int listener = listen_on(argv[2]);
        if (listener < 0) {
            fprintf(stderr, "sbx-agent: cannot listen on 127.0.0.1:%s: %s\n", argv[2], strerror(-listener));
            return 2;
        }
        return serve(listener);
    }
    if (argc == 2 && strcmp(argv[1], "idle") == 0) {
        for (;;)
            pause();
    }
    fprintf(stderr, "usage: sbx-agent serve [PORT] | idle\n");
    return 2;
}
