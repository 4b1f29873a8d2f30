"""Containers and development environments: ContainerSandbox and DevEnvManager.

The only package that imports the docker SDK, and only when one of its objects is used, so
that ``import sandbox`` stays fast and works where the SDK is absent.
"""
