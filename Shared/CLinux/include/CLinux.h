// Thin C shim over the Linux calls SocketCore and the launcher need, so Swift sees stable signatures.
#ifndef PASSCODE_CLINUX_H
#define PASSCODE_CLINUX_H

// No _GNU_SOURCE here: it would change struct definitions (fd_set, rusage) and clash with SwiftGlibc's
// module. Calls that need GNU declarations (accept4, pthread_setname_np) live in shim.c.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

static inline int clinux_errno(void) { return errno; }

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (implemented in shim.c, which defines _GNU_SOURCE).
int clinux_accept4(int fd, struct sockaddr *addr, socklen_t *len);

/// Names the calling thread (at most 15 bytes are kept).
int clinux_set_thread_name(const char *name);

/// Puts the calling thread under SCHED_BATCH (threads it starts afterwards inherit it); 0 or -1.
int clinux_sched_batch(void);

static inline int clinux_socket(int domain, int type) {
    return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/// epoll_event is packed on x86_64; these accessors avoid Swift layout surprises.
static inline int clinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

static inline int clinux_epoll_wait(int epfd, uint32_t *events, uint64_t *datas, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) { events[i] = evs[i].events; datas[i] = evs[i].data.u64; }
    return n;
}

static inline int clinux_sun_path_max(void) { return (int)sizeof(((struct sockaddr_un *)0)->sun_path); }

static inline int clinux_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig); }

static inline int clinux_wifexited(int status) { return WIFEXITED(status); }
static inline int clinux_wexitstatus(int status) { return WEXITSTATUS(status); }
static inline int clinux_wifsignaled(int status) { return WIFSIGNALED(status); }
static inline int clinux_wtermsig(int status) { return WTERMSIG(status); }

#endif
