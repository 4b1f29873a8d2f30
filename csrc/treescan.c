/* Scanning a work directory for the state module: one pass of getdents and fstatat over a
 * tree of ten thousand files costs a few milliseconds here, against tens in Python, and
 * that pass is the whole of a pause when little has changed.
 *
 * The tree belongs to an untrusted program, which may plant links or swap entries while
 * the scan runs. Every directory is opened from its parent's descriptor with O_NOFOLLOW,
 * links are read as links (readlinkat), and files are opened for reading only through
 * sbx_open_beneath, which refuses a link in any component of the path. */
#define _GNU_SOURCE
#include <dirent.h> /* DT_DIR */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel_abi.h"
#include "sbx.h"

/* A path is at most PATH_MAX bytes, so a tree deeper than half of it cannot be named; the
 * bound only keeps a hostile tree from exhausting the stack or the descriptors. */
#define SCAN_MAX_DEPTH (PATH_MAX / 2)
#define PATH_CAP (sizeof(((struct sbx_scan *)0)->errpath))

/* The root's subdirectories, opened by the calling thread and walked by the workers. */
struct job {
    int fd;
    size_t len;
    char *path;
    struct sbx_scan part; /* what the walk of this directory found */
    int rc;
};
struct jobs {
    struct job *items;
    size_t n, cap;
    size_t next; /* taken under the lock */
    pthread_mutex_t lock;
};

struct walk {
    struct sbx_scan *s;
    sbx_scan_skip_fn skip;
    void *ctx;
    struct jobs *defer; /* when set, subdirectories are queued instead of walked */
    char path[PATH_CAP];
};

static int fail(struct walk *w, int err, size_t len)
{
    memcpy(w->s->errpath, w->path, len);
    w->s->errpath[len] = '\0';
    return -err;
}

static int arena_put(struct sbx_scan *s, const char *str, size_t len, size_t *off)
{
    if (s->used + len + 1 > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap * 2 : 1 << 16;
        while (cap < s->used + len + 1)
            cap *= 2;
        char *grown = realloc(s->arena, cap);
        if (!grown)
            return -ENOMEM;
        s->arena = grown;
        s->arena_cap = cap;
    }
    memcpy(s->arena + s->used, str, len);
    s->arena[s->used + len] = '\0';
    *off = s->used;
    s->used += len + 1;
    return 0;
}

static struct sbx_scan_entry *entry_new(struct sbx_scan *s, const char *path, size_t len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        struct sbx_scan_entry *grown = realloc(s->entries, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        s->entries = grown;
        s->cap = cap;
    }
    struct sbx_scan_entry *e = &s->entries[s->n];
    memset(e, 0, sizeof(*e));
    e->target = (size_t)-1;
    if (arena_put(s, path, len, &e->path) < 0)
        return NULL;
    s->n++;
    return e;
}

static int walk_dir(struct walk *w, int fd, size_t len, int depth);

/* One name of the directory `dfd`, whose path is w->path[0..len). */
static int visit(struct walk *w, int dfd, const char *name, unsigned char type, size_t len, int depth)
{
    size_t nlen = strlen(name);
    size_t sep = len ? 1 : 0;
    if (len + sep + nlen + 1 > PATH_CAP || len + sep + nlen > PATH_MAX)
        return fail(w, ENAMETOOLONG, len);
    if (sep)
        w->path[len] = '/';
    memcpy(w->path + len + sep, name, nlen + 1);
    size_t plen = len + sep + nlen;

    if (w->skip) {
        int r = w->skip(w->ctx, w->path, plen);
        if (r < 0)
            return fail(w, -r, plen);
        if (r)
            return 0;
    }
    struct stat st;
    int child = -1;
    if (type == DT_DIR) {
        /* A directory by getdents: open it and fstat the descriptor, one path lookup instead
         * of two. O_NOFOLLOW: a link swapped in meanwhile is refused (ELOOP), never entered,
         * and then looked at below as whatever it is now. */
        child = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0 && errno == ENOENT)
            return 0; /* removed while we looked */
        if (child < 0 && errno != ELOOP && errno != ENOTDIR)
            return fail(w, errno, plen);
        if (child >= 0 && fstat(child, &st) < 0) {
            int err = errno;
            close(child);
            return fail(w, err, plen);
        }
    }
    if (child < 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : fail(w, errno, plen); /* ENOENT: removed while we looked */

    struct sbx_scan_entry *e;
    if (S_ISREG(st.st_mode)) {
        if (!(e = entry_new(w->s, w->path, plen)))
            return fail(w, ENOMEM, plen);
        e->mode = st.st_mode & (S_IFMT | 01777);
        e->size = (uint64_t)st.st_size;
        e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        e->ino = st.st_ino;
        e->dev = st.st_dev;
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat(dfd, name, target, sizeof(target));
        if (n < 0)
            return errno == ENOENT || errno == EINVAL ? 0 : fail(w, errno, plen); /* gone, or no link now */
        if ((size_t)n > PATH_MAX)
            return fail(w, ENAMETOOLONG, plen);
        if (!(e = entry_new(w->s, w->path, plen)))
            return fail(w, ENOMEM, plen);
        e->mode = S_IFLNK | 0777;
        size_t off;
        if (arena_put(w->s, target, (size_t)n, &off) < 0)
            return fail(w, ENOMEM, plen);
        e->target = off; /* the arena moved, the entries did not */
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0; /* FIFOs, sockets and devices are not state */
    if (child < 0) {
        /* O_NOFOLLOW: a link swapped in since fstatat is refused (ELOOP), never entered. */
        child = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0)
            return errno == ENOENT ? 0 : fail(w, errno, plen); /* ENOENT: removed since fstatat */
    }
    if (depth >= SCAN_MAX_DEPTH) {
        close(child);
        return fail(w, ELOOP, plen);
    }
    if (!(e = entry_new(w->s, w->path, plen))) {
        close(child);
        return fail(w, ENOMEM, plen);
    }
    e->mode = st.st_mode & (S_IFMT | 01777);
    if (w->defer) {
        struct jobs *q = w->defer;
        if (q->n == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 64;
            struct job *grown = realloc(q->items, cap * sizeof(*grown));
            if (!grown) {
                close(child);
                return fail(w, ENOMEM, plen);
            }
            q->items = grown;
            q->cap = cap;
        }
        char *copy = strdup(w->path);
        if (!copy) {
            close(child);
            return fail(w, ENOMEM, plen);
        }
        q->items[q->n++] = (struct job){.fd = child, .len = plen, .path = copy, .rc = 0};
        return 0;
    }
    return walk_dir(w, child, plen, depth + 1);
}

/* The layout getdents64 fills (include/linux/dirent.h); glibc's readdir adds an fstat
 * and an fcntl per directory that a scan of thousands of directories does not need. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Every entry of the directory `fd`, read to its end before any child is visited, so that
 * only one buffer per level of the walk is alive. Returns the bytes read, or -errno. */
static long read_dir(int fd, char **buf)
{
    size_t cap = 16384, used = 0;
    *buf = malloc(cap);
    if (!*buf)
        return -ENOMEM;
    for (;;) {
        if (cap - used < 4096) {
            char *grown = realloc(*buf, cap * 2);
            if (!grown)
                return -ENOMEM;
            *buf = grown;
            cap *= 2;
        }
        long n = syscall(SYS_getdents64, fd, *buf + used, cap - used);
        if (n < 0)
            return -errno;
        if (n == 0)
            return (long)used;
        used += (size_t)n;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(struct linux_dirent64 *const *)a)->d_name, (*(struct linux_dirent64 *const *)b)->d_name);
}

/* Takes ownership of `fd`. The names are visited sorted, so that a scan comes out in path
 * order (sbx_path_cmp) without a sort of the whole tree at the end. */
static int walk_dir(struct walk *w, int fd, size_t len, int depth)
{
    char *buf = NULL;
    struct linux_dirent64 **names = NULL;
    size_t count = 0;
    long n = read_dir(fd, &buf);
    int rc = n < 0 ? fail(w, (int)-n, len) : 0;
    if (rc == 0 && n > 0) {
        size_t cap = 0;
        for (long off = 0; off < n; off += ((struct linux_dirent64 *)(buf + off))->d_reclen)
            cap++;
        if (!(names = malloc(cap * sizeof(*names))))
            rc = fail(w, ENOMEM, len);
        for (long off = 0; rc == 0 && off < n;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(buf + off);
            off += de->d_reclen;
            const char *name = de->d_name;
            if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))))
                names[count++] = de;
        }
        if (rc == 0)
            qsort(names, count, sizeof(*names), by_name);
    }
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = visit(w, fd, names[i]->d_name, names[i]->d_type, len, depth);
    free(names);
    free(buf);
    close(fd);
    return rc;
}

int sbx_path_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x == y) {
            if (!x)
                return 0;
            continue;
        }
        /* A path's end, then '/', sort before any byte: a directory comes right before its
         * own entries, and those before a sibling whose name extends the directory's. */
        if (!x || (x == '/' && y))
            return -1;
        if (!y || y == '/')
            return 1;
        return x < y ? -1 : 1;
    }
}

/* One worker: its own walk; the results go into each job's own scan. */
struct worker {
    pthread_t thread;
    struct jobs *jobs;
    struct walk *w;
};

static void *work(void *arg)
{
    struct worker *me = arg;
    int failed = 0;
    for (;;) {
        pthread_mutex_lock(&me->jobs->lock);
        size_t i = me->jobs->next < me->jobs->n ? me->jobs->next++ : (size_t)-1;
        pthread_mutex_unlock(&me->jobs->lock);
        if (i == (size_t)-1)
            return NULL;
        struct job *job = &me->jobs->items[i];
        memcpy(me->w->path, job->path, job->len + 1);
        int fd = job->fd;
        job->fd = -1; /* walk_dir owns it now */
        if (failed) {
            close(fd); /* after a failure, drain the queue without walking */
            continue;
        }
        me->w->s = &job->part;
        job->rc = walk_dir(me->w, fd, job->len, 1);
        failed = job->rc < 0;
    }
}

static int append(struct sbx_scan *into, const struct sbx_scan *part, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        const struct sbx_scan_entry *src = &part->entries[i];
        const char *path = part->arena + src->path;
        struct sbx_scan_entry *e = entry_new(into, path, strlen(path));
        if (!e)
            return -ENOMEM;
        size_t at = e->path;
        *e = *src;
        e->path = at;
        if (src->target != (size_t)-1) {
            const char *target = part->arena + src->target;
            if (arena_put(into, target, strlen(target), &e->target) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

/* The root is read by the calling thread, its subdirectories by `nthreads` workers: the
 * cost of a scan is the kernel's path lookups and getattr calls, which run in parallel.
 * Each subdirectory's entries are then put right after it, which keeps the path order. */
static long scan_parallel(struct walk *w, int fd, int nthreads)
{
    struct jobs jobs = {0};
    pthread_mutex_init(&jobs.lock, NULL);
    struct sbx_scan *out = w->s;
    struct sbx_scan root = {0};
    w->s = &root;
    w->defer = &jobs;
    long rc = walk_dir(w, fd, 0, 0);
    w->defer = NULL;
    struct worker *workers = calloc((size_t)nthreads, sizeof(*workers));
    int started = 0;
    if (rc == 0 && !workers)
        rc = -ENOMEM;
    for (int i = 0; rc == 0 && i < nthreads; i++) {
        workers[i].jobs = &jobs;
        workers[i].w = i == 0 ? w : malloc(sizeof(struct walk));
        if (!workers[i].w)
            break; /* fewer workers */
        if (i > 0)
            *workers[i].w = (struct walk){.skip = NULL};
        /* The first worker is this thread, after the others are started. */
        if (i > 0 && pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
            free(workers[i].w);
            workers[i].w = NULL;
            break;
        }
        started = i + 1;
    }
    if (started > 0) {
        work(&workers[0]);
        for (int i = 1; i < started; i++)
            pthread_join(workers[i].thread, NULL);
    }
    w->s = out;
    for (size_t i = 0; rc == 0 && i < jobs.n; i++) {
        if (jobs.items[i].rc < 0) {
            rc = jobs.items[i].rc;
            memcpy(out->errpath, jobs.items[i].part.errpath, sizeof(out->errpath));
        }
    }
    if (rc < 0 && root.errpath[0])
        memcpy(out->errpath, root.errpath, sizeof(out->errpath));
    /* The root's entries in order, each directory's walked entries right after it (the
     * root walk queued one job per directory entry, in the same order). */
    size_t next_job = 0;
    for (size_t i = 0; rc == 0 && i < root.n; i++) {
        rc = append(out, &root, i, i + 1);
        if (rc == 0 && S_ISDIR(root.entries[i].mode) && next_job < jobs.n) {
            struct sbx_scan *part = &jobs.items[next_job++].part;
            rc = append(out, part, 0, part->n);
        }
    }
    for (int i = 1; i < started; i++)
        free(workers[i].w);
    for (size_t i = 0; i < jobs.n; i++) {
        if (jobs.items[i].fd >= 0)
            close(jobs.items[i].fd); /* not walked: the scan failed first */
        free(jobs.items[i].path);
        sbx_scan_free(&jobs.items[i].part);
    }
    sbx_scan_free(&root);
    free(jobs.items);
    free(workers);
    pthread_mutex_destroy(&jobs.lock);
    return rc;
}

long sbx_tree_scan(int root_fd, struct sbx_scan *out, sbx_scan_skip_fn skip, void *ctx, int nthreads)
{
    memset(out, 0, sizeof(*out));
    struct walk *w = malloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    *w = (struct walk){.s = out, .skip = skip, .ctx = ctx};
    /* A descriptor of our own for walk_dir to close; the caller keeps root_fd. */
    int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    long rc;
    if (fd < 0)
        rc = fail(w, errno, 0);
    else if (nthreads > 1 && !skip) /* skip calls back into Python: one thread at a time */
        rc = scan_parallel(w, fd, nthreads);
    else
        rc = walk_dir(w, fd, 0, 0);
    free(w);
    return rc < 0 ? rc : (long)out->n;
}

void sbx_scan_free(struct sbx_scan *s)
{
    free(s->entries);
    free(s->arena);
    s->entries = NULL;
    s->arena = NULL;
    s->n = s->cap = s->used = s->arena_cap = 0;
}

/* openat2 is missing (before 5.6, or refused by a container's seccomp profile): walk the
 * components one by one, each opened from the last without following a link. */
static int open_by_components(int root_fd, const char *path, int flags)
{
    char buf[PATH_MAX + 1];
    size_t len = strlen(path);
    if (len > PATH_MAX)
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    int dfd = root_fd;
    char *part = buf;
    for (;;) {
        char *slash = strchr(part, '/');
        if (!slash)
            break;
        *slash = '\0';
        int next = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int err = errno;
        if (dfd != root_fd)
            close(dfd);
        if (next < 0)
            return -err;
        dfd = next;
        part = slash + 1;
    }
    int fd = openat(dfd, part, flags);
    int err = errno;
    if (dfd != root_fd)
        close(dfd);
    return fd < 0 ? -err : fd;
}

int sbx_open_beneath(int root_fd, const char *path, struct stat *st)
{
    if (path[0] == '/' || path[0] == '\0')
        return -EINVAL;
    int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    struct sbx_open_how how = {
        .flags = (uint64_t)flags,
        .resolve = SBX_RESOLVE_BENEATH | SBX_RESOLVE_NO_SYMLINKS | SBX_RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SBX_NR_openat2, root_fd, path, &how, sizeof(how));
    if (fd < 0 && errno == ENOSYS)
        fd = open_by_components(root_fd, path, flags);
    else if (fd < 0)
        fd = -errno;
    if (fd < 0)
        return (int)fd;
    if (fstat((int)fd, st) < 0) {
        int err = errno;
        close((int)fd);
        return -err;
    }
    if (!S_ISREG(st->st_mode)) {
        close((int)fd); /* a FIFO or device put in its place since the scan */
        return -ENODATA;
    }
    return (int)fd;
}

int sbx_start_writeback(int fd)
{
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0 ? -errno : 0;
}
