/* The egress proxy's byte relay: once the proxy has judged a connection and connected
 * upstream, both sockets come here and bytes are copied both ways off the event loop.
 *
 * One thread runs an edge-triggered epoll loop over every pair. A direction moves data
 * socket -> pipe -> socket with splice(), so the payload stays in the kernel (the pipe
 * holds page references, not copies), or copies through a buffer in memory:
 *  - A direction whose destination is a loopback TCP socket copies. Measured here (Linux
 *    6.18, the stream of benchmarks/test_relay.py with each mode forced in a test build),
 *    splicing into loopback TCP costs more CPU per byte than a copy through a 1 MiB
 *    buffer (about 780 against 560 ms of the whole process per GiB): the spliced pages
 *    go out as many small fragments that the receiver walks one by one, where send()
 *    builds full segments. Into a unix socket (the sandbox's bridge) splice is the cheaper
 *    of the two (510-580 against 680 ms per GiB), and to a remote host it spares the copy
 *    that scatter-gather hardware would otherwise need.
 *  - Where the kernel refuses to splice a descriptor (EINVAL, ENOSYS) or no pipe can be had
 *    (EMFILE, ENFILE), that direction copies too.
 * A pipe or a buffer is held only while bytes wait in it (a bulk stream's grown buffer
 * while the stream lasts), so ten thousand idle tunnels cost neither.
 *
 * The peers are untrusted: a peer that stops reading must not make the relay buffer without
 * bound (a direction stops reading its source while its pipe or buffer is full, and the
 * kernel's TCP window then stops the sender), and a peer that sends nothing holds its pair
 * only until the idle timeout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sbx.h"

/* A pipe of 256 KiB moves four times what the default 64 KiB does per splice. The kernel
 * refuses the size past pipe-max-size or once the user's pipes exceed pipe-user-pages-soft;
 * such a pipe keeps the default, which is only slower. */
#define PIPE_WANT (256 * 1024)
/* A copying direction's buffer starts at COPY_MIN and doubles, up to COPY_MAX, each time a
 * read fills it (the source had more): a bulk stream moves 1 MiB per pair of system calls
 * (about a quarter less CPU per byte than 256 KiB), an interactive one never holds more than it
 * needs. Buffers past COPY_MIN come out of a relay-wide COPY_BUDGET, so that thousands of
 * stalled tunnels hold at most COPY_MIN each beyond it. */
#define COPY_MIN (64 * 1024)
#define COPY_MAX (1024 * 1024)
#define COPY_BUDGET ((size_t)64 << 20)
/* Bytes one direction may move before the loop looks at the other pairs again. */
#define PUMP_BUDGET (1024 * 1024)
#define POOL_MAX 64
/* Idle deadlines are checked at most this often: the precision of an idle timeout. */
#define SWEEP_MIN_MS 10
#define EVENTS 256

struct link {
    struct link *prev, *next;
};

static void list_init(struct link *h)
{
    h->prev = h->next = h;
}

static bool list_empty(const struct link *h)
{
    return h->next == h;
}

static void list_push(struct link *h, struct link *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}

static void list_del(struct link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* Move every element of `from` to the end of `to`. */
static void list_splice(struct link *to, struct link *from)
{
    if (list_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    list_init(from);
}

#define PAIR_OF(ptr, member) ((struct pair *)(void *)((char *)(ptr) - offsetof(struct pair, member)))

struct pipe_slot {
    int fd[2];
    size_t cap;
};

/* One direction: bytes read from one socket and not yet written to the other. */
struct dir {
    struct pipe_slot pipe; /* fd[0] < 0 when none is held */
    char *buf;             /* copy mode: buf[head .. head + pending) */
    size_t head, buf_cap;
    size_t want;           /* copy mode: the size of the next buffer (COPY_MIN..COPY_MAX) */
    size_t pending;
    uint64_t bytes;        /* written to the destination */
    bool copy, eof, shut;
};

struct pair {
    struct link node;  /* the inbox, the live list, or the graveyard */
    struct link ready; /* pairs that stopped at the budget with work left */
    uint64_t id;
    int fd[2];
    bool can_read[2], can_write[2]; /* edge-triggered readiness, cleared on EAGAIN */
    bool dead;
    uint32_t idle_ms;
    int64_t last_ms;
    uint64_t stamp;
    struct dir d[2]; /* d[0]: fd[0] -> fd[1] */
};

struct sbx_relay {
    int ep, wake;
    size_t max_pairs;
    pthread_mutex_t lock;
    /* Under the lock: what other threads hand in and take out. */
    struct link inbox;
    struct sbx_relay_done *done;
    size_t n_done;
    size_t slots; /* live pairs + finished ones not collected: at most max_pairs */
    size_t live;
    uint64_t next_id;
    bool running;
    atomic_bool stop;
    _Atomic uint64_t total;
    /* The loop's own. */
    struct link pairs, ready, grave;
    struct pipe_slot pool[POOL_MAX];
    size_t n_pool;
    size_t grown; /* bytes of copy buffers beyond COPY_MIN each: at most COPY_BUDGET */
    int64_t next_sweep;
    uint64_t stamp;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake_loop(struct sbx_relay *r)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop wakes anyway. */
    ssize_t n = write(r->wake, &one, sizeof(one));
    (void)n;
}

/* pipes ------------------------------------------------------------------------------- */

static int pipe_get(struct sbx_relay *r, struct pipe_slot *p)
{
    if (r->n_pool) {
        *p = r->pool[--r->n_pool];
        return 0;
    }
    if (pipe2(p->fd, O_CLOEXEC | O_NONBLOCK) < 0) {
        p->fd[0] = p->fd[1] = -1;
        return -errno;
    }
    (void)fcntl(p->fd[1], F_SETPIPE_SZ, PIPE_WANT);
    int cap = fcntl(p->fd[1], F_GETPIPE_SZ);
    p->cap = cap > 0 ? (size_t)cap : 65536;
    return 0;
}

/* Give back a pipe; only an empty one may be used again. */
static void pipe_put(struct sbx_relay *r, struct pipe_slot *p, bool empty)
{
    if (p->fd[0] < 0)
        return;
    if (empty && r->n_pool < POOL_MAX) {
        r->pool[r->n_pool++] = *p;
    } else {
        close(p->fd[0]);
        close(p->fd[1]);
    }
    p->fd[0] = p->fd[1] = -1;
}

/* copy buffers ------------------------------------------------------------------------ */

/* Give `d` a buffer of d->want bytes, or of COPY_MIN where the budget has no room. */
static int buf_get(struct sbx_relay *r, struct dir *d)
{
    size_t cap = d->want > COPY_MIN && r->grown + (d->want - COPY_MIN) <= COPY_BUDGET ? d->want : COPY_MIN;
    d->buf = malloc(cap);
    if (!d->buf)
        return -ENOMEM;
    d->buf_cap = cap;
    d->head = 0;
    r->grown += cap - COPY_MIN;
    return 0;
}

static void buf_put(struct sbx_relay *r, struct dir *d)
{
    if (!d->buf)
        return;
    r->grown -= d->buf_cap - COPY_MIN;
    free(d->buf);
    d->buf = NULL;
    d->buf_cap = 0;
    d->head = 0;
}

/* Is `fd` a TCP socket connected to this host's loopback? Its direction copies (see the top
 * of this file). */
static bool is_loopback_tcp(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Leave splice for a copy through memory, carrying over what the pipe holds. */
static int to_copy_mode(struct sbx_relay *r, struct dir *d)
{
    char *buf = NULL;
    /* What the pipe holds is at most its size, PIPE_WANT or the default: counted in the
     * budget even where it overdraws it, since it is already read. */
    size_t cap = d->pending > COPY_MIN ? d->pending : COPY_MIN;
    if (d->pending) {
        buf = malloc(cap);
        if (!buf)
            return -ENOMEM;
        for (size_t got = 0; got < d->pending;) {
            ssize_t n = read(d->pipe.fd[0], buf + got, d->pending - got);
            if (n <= 0) {
                int err = n < 0 ? errno : EIO;
                if (err == EINTR)
                    continue;
                free(buf);
                return -err;
            }
            got += (size_t)n;
        }
    }
    pipe_put(r, &d->pipe, true);
    d->buf = buf;
    d->buf_cap = buf ? cap : 0;
    if (buf)
        r->grown += cap - COPY_MIN;
    d->head = 0;
    d->copy = true;
    return 0;
}

/* one direction ----------------------------------------------------------------------- */

/* Room for more bytes from the source; 0 holds the source back (backpressure). */
static size_t dir_room(const struct dir *d)
{
    if (d->copy)
        return d->buf ? d->buf_cap - d->pending : COPY_MIN;
    return d->pipe.fd[0] < 0 ? PIPE_WANT : d->pipe.cap - d->pending;
}

/* Read from `src`: bytes taken, 0 at end of stream, or -errno (-EAGAIN: nothing now). */
static ssize_t dir_in(struct sbx_relay *r, struct dir *d, int src)
{
    if (!d->copy) {
        if (d->pipe.fd[0] < 0) {
            int rc = pipe_get(r, &d->pipe);
            if (rc == -EMFILE || rc == -ENFILE)
                d->copy = true; /* out of descriptors: copy through memory, never fail the pair */
            else if (rc < 0)
                return rc;
        }
        while (!d->copy) {
            ssize_t n = splice(src, NULL, d->pipe.fd[1], NULL, d->pipe.cap - d->pending,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n >= 0)
                return n;
            if (errno == EINTR)
                continue;
            if (errno != EINVAL && errno != ENOSYS)
                return -errno;
            int rc = to_copy_mode(r, d);
            if (rc < 0)
                return rc;
        }
    }
    if (!d->buf) {
        int rc = buf_get(r, d);
        if (rc < 0)
            return rc;
    }
    if (d->head + d->pending == d->buf_cap && d->head) {
        memmove(d->buf, d->buf + d->head, d->pending);
        d->head = 0;
    }
    if (d->head + d->pending == d->buf_cap)
        return -EAGAIN; /* full; a read of 0 bytes would look like the end of the stream */
    size_t ask = d->buf_cap - d->head - d->pending;
    for (;;) {
        ssize_t n = recv(src, d->buf + d->head + d->pending, ask, MSG_DONTWAIT);
        if (n >= 0) {
            /* Filled: the source has more, the next buffer may be larger. A read of under a
             * quarter: the stream has slowed, the next one smaller. */
            if ((size_t)n == ask && d->want < COPY_MAX)
                d->want *= 2;
            else if ((size_t)n < ask / 4 && d->want > COPY_MIN)
                d->want /= 2;
            return n;
        }
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

/* Write pending bytes to `dst`: bytes written or -errno (-EAGAIN: its buffer is full). */
static ssize_t dir_out(struct sbx_relay *r, struct dir *d, int dst)
{
    ssize_t n;
    while (!d->copy) {
        /* No SPLICE_F_MORE: it corks TCP, and interactive traffic would wait for it. */
        n = splice(d->pipe.fd[0], NULL, dst, NULL, d->pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
        if (n >= 0)
            goto wrote;
        if (errno == EINTR)
            continue;
        if (errno != EINVAL && errno != ENOSYS)
            return -errno;
        int rc = to_copy_mode(r, d);
        if (rc < 0)
            return rc;
    }
    for (;;) {
        /* MSG_NOSIGNAL: a peer that reset is an error of this pair, never a SIGPIPE. */
        n = send(dst, d->buf + d->head, d->pending, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0)
            break;
        if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    d->head += (size_t)n;
wrote:
    d->pending -= (size_t)n;
    d->bytes += (uint64_t)n;
    atomic_fetch_add_explicit(&r->total, (uint64_t)n, memory_order_relaxed);
    if (!d->pending) {
        pipe_put(r, &d->pipe, true);
        /* A bulk stream keeps its grown buffer for the next read (a fresh 1 MiB each time
         * costs page faults); it goes once the stream slows and the next buffer would be
         * smaller, or with the pair. It stays within COPY_BUDGET all the while. */
        if (d->buf && d->buf_cap > COPY_MIN && d->buf_cap == d->want)
            d->head = 0;
        else
            buf_put(r, d);
    }
    return n;
}

/* Move what can move in direction i without blocking. 0, or -errno to fail the pair. */
static int pump_dir(struct sbx_relay *r, struct pair *p, int i, int64_t now, bool *more)
{
    struct dir *d = &p->d[i];
    int src = p->fd[i], dst = p->fd[!i];
    size_t moved = 0;
    for (;;) {
        bool progress = false;
        if (d->pending && p->can_write[!i]) {
            ssize_t n = dir_out(r, d, dst);
            if (n == -EAGAIN) {
                p->can_write[!i] = false;
            } else if (n < 0) {
                return (int)n;
            } else {
                progress = true;
                moved += (size_t)n;
                p->last_ms = now;
            }
        }
        if (d->eof) {
            /* Half-close: the source sends no more and all it sent is written, so the
             * destination's peer sees the same end of stream; the other way stays open. */
            if (!d->pending && !d->shut) {
                if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
                    return -errno;
                d->shut = true;
            }
            return 0;
        }
        if (p->can_read[i] && dir_room(d)) {
            ssize_t n = dir_in(r, d, src);
            if (n == -EAGAIN) {
                /* With bytes in the pipe, EAGAIN may mean the pipe ran out of slots (one per
                 * socket buffer spliced), not that the socket is empty: keep the readiness
                 * and try again once the pipe has drained. */
                if (!d->pending)
                    p->can_read[i] = false;
            } else if (n < 0) {
                return (int)n;
            } else if (n == 0) {
                d->eof = true;
                progress = true;
            } else {
                d->pending += (size_t)n;
                progress = true;
                p->last_ms = now;
            }
        }
        if (!progress)
            return 0;
        if (moved >= PUMP_BUDGET) {
            *more = true;
            return 0;
        }
    }
}

/* pairs ------------------------------------------------------------------------------- */

static void dir_release(struct sbx_relay *r, struct dir *d)
{
    pipe_put(r, &d->pipe, d->pending == 0);
    buf_put(r, d);
}

/* Close both sockets and record the outcome. The pair's memory is freed at the end of the
 * loop's round: events already fetched may still name it. */
static void finish(struct sbx_relay *r, struct pair *p, int reason, int err, bool record)
{
    for (int s = 0; s < 2; s++) {
        /* Removed before close: a duplicate of the descriptor elsewhere would otherwise keep
         * the registration, and its events, alive. */
        (void)epoll_ctl(r->ep, EPOLL_CTL_DEL, p->fd[s], NULL);
        if (reason == SBX_RELAY_ERROR) {
            /* A failed tunnel ends in a reset on the other side too, so that its peer can tell
             * a transfer cut short from a complete one. */
            struct linger abort_close = {.l_onoff = 1, .l_linger = 0};
            (void)setsockopt(p->fd[s], SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
        }
        close(p->fd[s]);
    }
    dir_release(r, &p->d[0]);
    dir_release(r, &p->d[1]);
    if (p->ready.next != &p->ready)
        list_del(&p->ready);
    list_del(&p->node);
    p->dead = true;
    pthread_mutex_lock(&r->lock);
    if (record) {
        struct sbx_relay_done *o = &r->done[r->n_done++]; /* a slot was reserved at add */
        o->id = p->id;
        o->bytes[0] = p->d[0].bytes;
        o->bytes[1] = p->d[1].bytes;
        o->reason = reason;
        o->err = err;
    } else {
        r->slots--;
    }
    r->live--;
    pthread_mutex_unlock(&r->lock);
    list_push(&r->grave, &p->node);
}

static void bury(struct sbx_relay *r)
{
    while (!list_empty(&r->grave)) {
        struct pair *p = PAIR_OF(r->grave.next, node);
        list_del(&p->node);
        free(p);
    }
}

static void pump(struct sbx_relay *r, struct pair *p, int64_t now)
{
    bool more = false;
    for (int i = 0; i < 2; i++) {
        int rc = pump_dir(r, p, i, now, &more);
        if (rc < 0) {
            finish(r, p, SBX_RELAY_ERROR, -rc, true);
            return;
        }
    }
    if (p->d[0].shut && p->d[1].shut)
        finish(r, p, SBX_RELAY_DONE, 0, true);
    else if (more && p->ready.next == &p->ready)
        list_push(&r->ready, &p->ready);
}

static void take_in(struct sbx_relay *r, int64_t now)
{
    struct link arrived;
    list_init(&arrived);
    pthread_mutex_lock(&r->lock);
    list_splice(&arrived, &r->inbox);
    pthread_mutex_unlock(&r->lock);
    while (!list_empty(&arrived)) {
        struct pair *p = PAIR_OF(arrived.next, node);
        list_del(&p->node);
        list_push(&r->pairs, &p->node);
        p->last_ms = now;
        for (int i = 0; i < 2; i++) {
            p->d[i].want = COPY_MIN;
            p->d[i].copy = is_loopback_tcp(p->fd[!i]); /* d[i] writes to fd[!i] */
        }
        int err = 0;
        for (int s = 0; s < 2 && !err; s++) {
            int flags = fcntl(p->fd[s], F_GETFL);
            if (flags < 0 || fcntl(p->fd[s], F_SETFL, flags | O_NONBLOCK) < 0) {
                err = errno;
                break;
            }
            struct epoll_event ev = {
                .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                .data.u64 = (uint64_t)(uintptr_t)p | (uint64_t)s,
            };
            if (epoll_ctl(r->ep, EPOLL_CTL_ADD, p->fd[s], &ev) < 0)
                err = errno;
        }
        if (err) {
            finish(r, p, SBX_RELAY_ERROR, err, true);
            continue;
        }
        if (p->idle_ms && now + p->idle_ms < r->next_sweep)
            r->next_sweep = now + p->idle_ms;
    }
}

static void sweep(struct sbx_relay *r, int64_t now)
{
    if (now < r->next_sweep)
        return;
    int64_t next = INT64_MAX;
    for (struct link *l = r->pairs.next; l != &r->pairs;) {
        struct pair *p = PAIR_OF(l, node);
        l = l->next;
        if (!p->idle_ms)
            continue;
        /* Times are whole milliseconds, truncated: one more than the timeout, so that a pair
         * is never closed before it has been idle for the whole of it. */
        int64_t deadline = p->last_ms + p->idle_ms + 1;
        if (deadline <= now)
            finish(r, p, SBX_RELAY_IDLE, 0, true);
        else if (deadline < next)
            next = deadline;
    }
    r->next_sweep = next == INT64_MAX ? next : (next > now + SWEEP_MIN_MS ? next : now + SWEEP_MIN_MS);
}

static int loop(struct sbx_relay *r)
{
    struct epoll_event evs[EVENTS];
    struct pair *batch[EVENTS];
    for (;;) {
        if (atomic_load(&r->stop))
            return 0;
        int64_t now = now_ms();
        take_in(r, now);
        sweep(r, now);
        bury(r);
        pthread_mutex_lock(&r->lock);
        bool finished = r->n_done > 0;
        pthread_mutex_unlock(&r->lock);
        if (finished)
            return 1;

        int timeout = -1;
        if (!list_empty(&r->ready))
            timeout = 0;
        else if (r->next_sweep != INT64_MAX)
            timeout = r->next_sweep <= now ? 0 : (int)(r->next_sweep - now < 60000 ? r->next_sweep - now : 60000);
        int n = epoll_wait(r->ep, evs, EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        now = now_ms();
        /* Readiness first, then one pump per pair: both sockets of a pair often come in the
         * same batch. */
        size_t nb = 0;
        r->stamp++;
        for (int k = 0; k < n; k++) {
            uint64_t tag = evs[k].data.u64;
            if (tag == 0) {
                uint64_t count;
                ssize_t got = read(r->wake, &count, sizeof(count));
                (void)got;
                continue;
            }
            struct pair *p = (struct pair *)(uintptr_t)(tag & ~(uint64_t)1);
            int s = (int)(tag & 1);
            uint32_t e = evs[k].events;
            if (p->dead)
                continue; /* finished earlier in this batch: its descriptor number may be reused */
            if (e & EPOLLERR) {
                int err = 0;
                socklen_t len = sizeof(err);
                if (getsockopt(p->fd[s], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) {
                    finish(r, p, SBX_RELAY_ERROR, err, true);
                    continue;
                }
            }
            if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                p->can_read[s] = true;
            if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
                p->can_write[s] = true;
            if (p->stamp != r->stamp) {
                p->stamp = r->stamp;
                batch[nb++] = p;
            }
        }
        for (size_t k = 0; k < nb; k++)
            if (!batch[k]->dead)
                pump(r, batch[k], now);
        /* Pairs that stopped at the budget, once each; they may queue themselves again. */
        struct link again;
        list_init(&again);
        list_splice(&again, &r->ready);
        while (!list_empty(&again)) {
            struct pair *p = PAIR_OF(again.next, ready);
            list_del(&p->ready);
            if (!p->dead && p->stamp != r->stamp)
                pump(r, p, now);
            else if (!p->dead)
                list_push(&r->ready, &p->ready); /* pumped in this round already */
        }
    }
}

/* the interface ----------------------------------------------------------------------- */

int sbx_relay_create(size_t max_pairs, struct sbx_relay **out)
{
    *out = NULL;
    if (max_pairs == 0 || max_pairs > SBX_RELAY_MAX_PAIRS)
        return -EINVAL;
    struct sbx_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->done = calloc(max_pairs, sizeof(*r->done));
    if (!r->done) {
        free(r);
        return -ENOMEM;
    }
    r->max_pairs = max_pairs;
    r->wake = -1;
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    int err = 0;
    if (r->ep < 0)
        err = errno;
    if (!err && (r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        err = errno;
    if (!err) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->wake, &ev) < 0)
            err = errno;
    }
    if (!err)
        err = pthread_mutex_init(&r->lock, NULL);
    if (err) {
        if (r->wake >= 0)
            close(r->wake);
        if (r->ep >= 0)
            close(r->ep);
        free(r->done);
        free(r);
        return -err;
    }
    list_init(&r->inbox);
    list_init(&r->pairs);
    list_init(&r->ready);
    list_init(&r->grave);
    atomic_init(&r->stop, false);
    atomic_init(&r->total, 0);
    r->next_sweep = INT64_MAX;
    *out = r;
    return 0;
}

int sbx_relay_add(struct sbx_relay *r, int fd_a, int fd_b, uint32_t idle_ms, uint64_t *id)
{
    if (fd_a < 0 || fd_b < 0)
        return -EBADF;
    if (fd_a == fd_b)
        return -EINVAL;
    int fds[2] = {fd_a, fd_b};
    for (int s = 0; s < 2; s++) {
        int type;
        socklen_t len = sizeof(type);
        if (getsockopt(fds[s], SOL_SOCKET, SO_TYPE, &type, &len) < 0)
            return -errno;
        if (type != SOCK_STREAM)
            return -EPROTOTYPE;
    }
    struct pair *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->fd[0] = fd_a;
    p->fd[1] = fd_b;
    p->idle_ms = idle_ms;
    list_init(&p->ready);
    for (int i = 0; i < 2; i++)
        p->d[i].pipe.fd[0] = p->d[i].pipe.fd[1] = -1;
    pthread_mutex_lock(&r->lock);
    if (r->slots >= r->max_pairs) {
        pthread_mutex_unlock(&r->lock);
        free(p);
        return -ENOSPC;
    }
    r->slots++;
    r->live++;
    p->id = ++r->next_id;
    list_push(&r->inbox, &p->node);
    pthread_mutex_unlock(&r->lock);
    *id = p->id;
    wake_loop(r);
    return 0;
}

int sbx_relay_run(struct sbx_relay *r)
{
    pthread_mutex_lock(&r->lock);
    bool busy = r->running;
    r->running = true;
    pthread_mutex_unlock(&r->lock);
    if (busy)
        return -EBUSY;
    /* splice() into a socket whose peer has gone raises SIGPIPE (only send() can be told
     * MSG_NOSIGNAL). Blocked on this thread while the loop runs; one raised meanwhile is
     * taken before the caller's mask comes back. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int rc = loop(r);
    if (!sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&r->lock);
    r->running = false;
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void sbx_relay_stop(struct sbx_relay *r)
{
    atomic_store(&r->stop, true);
    wake_loop(r);
}

size_t sbx_relay_finished(struct sbx_relay *r, struct sbx_relay_done *out, size_t cap)
{
    pthread_mutex_lock(&r->lock);
    size_t k = r->n_done < cap ? r->n_done : cap;
    memcpy(out, r->done, k * sizeof(*out));
    memmove(r->done, r->done + k, (r->n_done - k) * sizeof(*out));
    r->n_done -= k;
    r->slots -= k;
    pthread_mutex_unlock(&r->lock);
    return k;
}

/* Finish every pair, queued or live, as `reason` (recorded or not). */
static void finish_all(struct sbx_relay *r, bool record)
{
    struct link arrived;
    list_init(&arrived);
    pthread_mutex_lock(&r->lock);
    list_splice(&arrived, &r->inbox);
    pthread_mutex_unlock(&r->lock);
    list_splice(&r->pairs, &arrived);
    while (!list_empty(&r->pairs))
        finish(r, PAIR_OF(r->pairs.next, node), SBX_RELAY_CLOSED, 0, record);
    bury(r);
}

int sbx_relay_close_all(struct sbx_relay *r)
{
    pthread_mutex_lock(&r->lock);
    bool busy = r->running;
    size_t before = r->live;
    pthread_mutex_unlock(&r->lock);
    if (busy)
        return -EBUSY;
    finish_all(r, true);
    return (int)before;
}

uint64_t sbx_relay_total(struct sbx_relay *r)
{
    return atomic_load_explicit(&r->total, memory_order_relaxed);
}

size_t sbx_relay_active(struct sbx_relay *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->live;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void sbx_relay_destroy(struct sbx_relay *r)
{
    if (!r)
        return;
    finish_all(r, false);
    while (r->n_pool) {
        struct pipe_slot *p = &r->pool[--r->n_pool];
        close(p->fd[0]);
        close(p->fd[1]);
    }
    close(r->wake);
    close(r->ep);
    pthread_mutex_destroy(&r->lock);
    free(r->done);
    free(r);
}
