/*
 * The recorder's RTP receive path (Linux, N-API): one background thread waits with epoll
 * on every RTP socket of a receiver, reads the ready ones with recvmmsg and hands the
 * datagrams to JavaScript in batches, one call (a thread-safe function) per batch, at most
 * `flushMs` after the batch's first datagram or when the batch is full. Built by
 * scripts/build-native-rtp.sh; src/media/nativeRtp.ts loads it (node:dgram otherwise).
 *
 *   const r = start(onBatch(buffer, count), { flushMs, batchBytes, receiveBufferBytes });
 *   open(r, address, port) -> [id, boundPort]   (throws Node-style errors: e.code EADDRINUSE, ...)
 *   close(r, id) -> boolean;  sync(r, token);  stop(r);  stats(r);  addressText(buffer, recordOffset)
 *   syncfs(fd) -> Promise<void>   (mvr_syncfs.c: the call journals' group commit)
 *   onBatch(buffer | undefined, count, token): token non-zero answers sync(r, token): every
 *   datagram the sockets held when sync() was called is in this batch or an earlier one.
 *
 * A batch is a Buffer of records: u32 socket id, u16 length, u16 source port, u8 family
 * (4, 6, or 0 for a receive error whose errno is in the port field), 3 bytes padding,
 * 16 bytes source address (IPv4 in the first 4), then `length` bytes of datagram; all
 * integers little-endian. The thread holds the receiver's mutex while it reads the ready
 * sockets, and close() takes it too, so a socket is never read after its fd was closed
 * (no fd-reuse race); ids carry a generation, so an event or record of a closed socket
 * never reaches a newer one in the same slot.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mvr_syncfs.h"

#define HEADER 28
#define MAX_SLOTS 65536
#define VLEN 16
#define MAX_DATAGRAM 65536
#define MAX_EVENTS 1024
#define WAKE_ID UINT64_MAX

typedef struct {
  int fd;
  uint16_t gen;
  uint8_t open;
} Slot;

typedef struct {
  uint8_t *data;
  size_t used;
  uint32_t count;
  /* non-zero: the answer to sync(token): every datagram read before it is in this or an earlier batch */
  uint32_t token;
} Batch;

typedef struct {
  pthread_mutex_t mu;
  pthread_t thread;
  int thread_started;
  int stopped;
  volatile int stopping;
  int ep;
  int wake;
  napi_env env;
  napi_threadsafe_function tsfn;
  int tsfn_refed;
  int hook_added;
  Slot *slots;
  uint32_t *free_stack;
  uint32_t free_top;
  uint32_t open_count;
  int flush_ms;
  size_t batch_cap;
  int rcvbuf;
  /* the latest sync() token asked (atomic), and the last one answered (thread) */
  uint32_t sync_asked;
  uint32_t sync_answered;
  /* the thread's own */
  uint8_t *batch;
  size_t used;
  uint32_t count;
  struct timespec first;
  uint8_t *scratch;
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  struct sockaddr_storage from[VLEN];
  /* figures (under mu, batches atomic) */
  uint64_t datagrams, batches, truncated, errors;
} Receiver;

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, "ERR_MVR_RTP", msg);
  return NULL;
}

static const char *errno_code(int e) {
  const char *name = strerrorname_np(e);
  return name ? name : "EUNKNOWN";
}

/* An Error shaped like Node's system errors: message "<syscall> <CODE> <address>:<port>". */
static napi_value throw_sys(napi_env env, const char *syscall, int e, const char *address, int port) {
  char msg[200];
  const char *code = errno_code(e);
  if (address)
    snprintf(msg, sizeof msg, "%s %s %s:%d (%s)", syscall, code, address, port, strerror(e));
  else
    snprintf(msg, sizeof msg, "%s %s (%s)", syscall, code, strerror(e));
  napi_value m, c, err, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &err);
  napi_create_int32(env, -e, &v);
  napi_set_named_property(env, err, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, err, "syscall", v);
  if (address) {
    napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, err, "address", v);
    napi_create_int32(env, port, &v);
    napi_set_named_property(env, err, "port", v);
  }
  napi_throw(env, err);
  return NULL;
}

static double elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - since->tv_sec) * 1e3 + (now.tv_nsec - since->tv_nsec) / 1e6;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}

/* JS thread: one batch to the callback; env is NULL when the function is torn down. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)context;
  Batch *b = (Batch *)data;
  if (env && js_cb) {
    napi_value buf, count, token, undef;
    void *dst;
    napi_get_undefined(env, &undef);
    if (b->used == 0 || napi_create_buffer_copy(env, b->used, b->data, &dst, &buf) != napi_ok) buf = undef;
    napi_create_uint32(env, b->used ? b->count : 0, &count);
    napi_create_uint32(env, b->token, &token);
    napi_value argv[3] = {buf, count, token};
    napi_call_function(env, undef, js_cb, 3, argv, NULL);
  }
  free(b->data);
  free(b);
}

/* Thread: hands the batch over (a copy of its used bytes) and starts a new one; with a
   token, also when it is empty (the answer to sync()). */
static void flush_token(Receiver *r, uint32_t token) {
  if (r->count == 0 && token == 0) return;
  Batch *b = (Batch *)malloc(sizeof(Batch));
  uint8_t *copy = b ? (uint8_t *)malloc(r->used ? r->used : 1) : NULL;
  if (b && copy) {
    memcpy(copy, r->batch, r->used);
    b->data = copy;
    b->used = r->used;
    b->count = r->count;
    b->token = token;
    if (napi_call_threadsafe_function(r->tsfn, b, napi_tsfn_nonblocking) != napi_ok) {
      free(copy);
      free(b);
    } else {
      __atomic_fetch_add(&r->batches, 1, __ATOMIC_RELAXED);
    }
  } else {
    free(copy);
    free(b);
  }
  r->used = 0;
  r->count = 0;
}

static void flush(Receiver *r) {
  flush_token(r, 0);
}

static void append(Receiver *r, uint32_t id, const struct sockaddr_storage *from, const uint8_t *data, size_t len, int error) {
  if (r->used + HEADER + len > r->batch_cap) flush(r);
  if (r->count == 0) clock_gettime(CLOCK_MONOTONIC, &r->first);
  uint8_t *p = r->batch + r->used;
  memset(p, 0, HEADER);
  put32(p, id);
  put16(p + 4, (uint32_t)len);
  if (error) {
    put16(p + 6, (uint32_t)error);
    p[8] = 0;
  } else if (from->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    put16(p + 6, ntohs(a->sin_port));
    p[8] = 4;
    memcpy(p + 12, &a->sin_addr, 4);
  } else {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
    put16(p + 6, ntohs(a->sin6_port));
    p[8] = 6;
    memcpy(p + 12, &a->sin6_addr, 16);
  }
  if (len) memcpy(p + HEADER, data, len);
  r->used += HEADER + len;
  r->count++;
}

/* Thread, under mu: everything the socket holds now. */
static void drain(Receiver *r, int fd, uint32_t id) {
  for (;;) {
    for (int k = 0; k < VLEN; k++) {
      r->iov[k].iov_base = r->scratch + (size_t)k * MAX_DATAGRAM;
      r->iov[k].iov_len = MAX_DATAGRAM;
      memset(&r->msgs[k].msg_hdr, 0, sizeof(struct msghdr));
      r->msgs[k].msg_hdr.msg_iov = &r->iov[k];
      r->msgs[k].msg_hdr.msg_iovlen = 1;
      r->msgs[k].msg_hdr.msg_name = &r->from[k];
      r->msgs[k].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    }
    int got = recvmmsg(fd, r->msgs, VLEN, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        r->errors++;
        append(r, id, NULL, NULL, 0, errno);
      }
      return;
    }
    for (int k = 0; k < got; k++) {
      if (r->msgs[k].msg_hdr.msg_flags & MSG_TRUNC) {
        r->truncated++;
        continue;
      }
      r->datagrams++;
      append(r, id, &r->from[k], r->iov[k].iov_base, r->msgs[k].msg_len, 0);
    }
    if (got < VLEN) return;
  }
}

/* Thread, under mu: the ready sockets of `events`. */
static void read_ready(Receiver *r, const struct epoll_event *events, int n) {
  for (int i = 0; i < n; i++) {
    uint64_t key = events[i].data.u64;
    if (key == WAKE_ID) continue;
    uint32_t id = (uint32_t)key;
    Slot *s = &r->slots[id & 0xffff];
    if (!s->open || s->gen != (id >> 16)) continue; /* closed since epoll_wait returned */
    drain(r, s->fd, id);
  }
}

static void *run(void *arg) {
  Receiver *r = (Receiver *)arg;
  struct epoll_event events[MAX_EVENTS];
  while (!r->stopping) {
    /* a sync() asked before this load is answered in this round: its datagrams are ready now */
    uint32_t asked = __atomic_load_n(&r->sync_asked, __ATOMIC_ACQUIRE);
    int syncing = asked != r->sync_answered;
    int timeout = -1;
    if (syncing) {
      timeout = 0;
    } else if (r->count) {
      double left = r->flush_ms - elapsed_ms(&r->first);
      if (left <= 0) {
        flush(r);
        continue;
      }
      /* let the batch fill: sleep until its deadline (or a sync() or stop() wakes us), then
         read everything that is ready */
      struct timespec ts = {(time_t)(left / 1e3), (long)((left - (time_t)(left / 1e3) * 1e3) * 1e6)};
      struct pollfd wake = {.fd = r->wake, .events = POLLIN};
      ppoll(&wake, 1, &ts, NULL);
      timeout = 0;
    }
    int n = epoll_wait(r->ep, events, MAX_EVENTS, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r->stopping) break;
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == WAKE_ID) {
        uint64_t v;
        ssize_t rd = read(r->wake, &v, sizeof v);
        (void)rd;
      }
    }
    pthread_mutex_lock(&r->mu);
    read_ready(r, events, n);
    if (syncing) {
      int more = n;
      while (more == MAX_EVENTS) {
        more = epoll_wait(r->ep, events, MAX_EVENTS, 0);
        if (more > 0) read_ready(r, events, more);
      }
    }
    pthread_mutex_unlock(&r->mu);
    if (syncing) {
      flush_token(r, asked);
      r->sync_answered = asked;
    } else if (r->count && (timeout == 0 || elapsed_ms(&r->first) >= r->flush_ms)) {
      flush(r);
    }
  }
  return NULL;
}

static void stop_receiver(Receiver *r) {
  if (r->stopped) return;
  r->stopped = 1;
  if (r->thread_started) {
    r->stopping = 1;
    uint64_t one = 1;
    ssize_t w = write(r->wake, &one, sizeof one);
    (void)w;
    pthread_join(r->thread, NULL);
  }
  pthread_mutex_lock(&r->mu);
  for (uint32_t i = 0; r->slots && i < MAX_SLOTS; i++) {
    if (r->slots[i].open) {
      close(r->slots[i].fd);
      r->slots[i].open = 0;
    }
  }
  r->open_count = 0;
  pthread_mutex_unlock(&r->mu);
  if (r->ep >= 0) close(r->ep);
  if (r->wake >= 0) close(r->wake);
  r->ep = r->wake = -1;
  if (r->tsfn) {
    napi_release_threadsafe_function(r->tsfn, napi_tsfn_release);
    r->tsfn = NULL;
  }
}

static void cleanup_hook(void *arg) {
  Receiver *r = (Receiver *)arg;
  r->hook_added = 0;
  stop_receiver(r);
}

static void finalize_receiver(napi_env env, void *data, void *hint) {
  (void)hint;
  Receiver *r = (Receiver *)data;
  if (r->hook_added) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, r);
    r->hook_added = 0;
  }
  stop_receiver(r);
  pthread_mutex_destroy(&r->mu);
  free(r->slots);
  free(r->free_stack);
  free(r->batch);
  free(r->scratch);
  free(r);
}

static Receiver *get_receiver(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    throw_msg(env, "mvr_rtp: not a receiver");
    return NULL;
  }
  return (Receiver *)data;
}

static int32_t get_int_property(napi_env env, napi_value obj, const char *name, int32_t fallback) {
  napi_value v;
  napi_valuetype t;
  int32_t out = fallback;
  if (napi_get_named_property(env, obj, name, &v) == napi_ok && napi_typeof(env, v, &t) == napi_ok && t == napi_number)
    napi_get_value_int32(env, v, &out);
  return out;
}

/* start(onBatch, { flushMs, batchBytes, receiveBufferBytes }) -> receiver */
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return throw_msg(env, "mvr_rtp start: the first argument must be the batch callback");
  int32_t flush_ms = 5, batch_bytes = 256 * 1024, rcvbuf = 256 * 1024;
  if (argc > 1 && napi_typeof(env, argv[1], &t) == napi_ok && t == napi_object) {
    flush_ms = get_int_property(env, argv[1], "flushMs", flush_ms);
    batch_bytes = get_int_property(env, argv[1], "batchBytes", batch_bytes);
    rcvbuf = get_int_property(env, argv[1], "receiveBufferBytes", rcvbuf);
  }
  if (flush_ms < 0 || flush_ms > 1000) return throw_msg(env, "mvr_rtp start: flushMs must be 0-1000");
  if (batch_bytes < HEADER + MAX_DATAGRAM || batch_bytes > 64 * 1024 * 1024)
    return throw_msg(env, "mvr_rtp start: batchBytes must be 65564 (one largest datagram) to 64 MiB");
  if (rcvbuf < 0) return throw_msg(env, "mvr_rtp start: receiveBufferBytes must not be negative");

  Receiver *r = (Receiver *)calloc(1, sizeof(Receiver));
  if (!r) return throw_msg(env, "mvr_rtp start: out of memory");
  r->ep = r->wake = -1;
  r->flush_ms = flush_ms;
  r->batch_cap = (size_t)batch_bytes;
  r->rcvbuf = rcvbuf;
  r->env = env;
  pthread_mutex_init(&r->mu, NULL);
  r->slots = (Slot *)calloc(MAX_SLOTS, sizeof(Slot));
  r->free_stack = (uint32_t *)malloc(MAX_SLOTS * sizeof(uint32_t));
  r->batch = (uint8_t *)malloc(r->batch_cap);
  r->scratch = (uint8_t *)malloc((size_t)VLEN * MAX_DATAGRAM);
  napi_value ext;
  if (napi_create_external(env, r, finalize_receiver, NULL, &ext) != napi_ok) {
    finalize_receiver(env, r, NULL);
    return throw_msg(env, "mvr_rtp start: napi_create_external failed");
  }
  if (!r->slots || !r->free_stack || !r->batch || !r->scratch) return throw_msg(env, "mvr_rtp start: out of memory");
  for (uint32_t i = 0; i < MAX_SLOTS; i++) r->free_stack[i] = MAX_SLOTS - 1 - i;
  r->free_top = MAX_SLOTS;
  r->ep = epoll_create1(EPOLL_CLOEXEC);
  if (r->ep < 0) return throw_sys(env, "epoll_create1", errno, NULL, 0);
  r->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (r->wake < 0) return throw_sys(env, "eventfd", errno, NULL, 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_ID};
  if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->wake, &ev) != 0) return throw_sys(env, "epoll_ctl", errno, NULL, 0);
  napi_value name;
  napi_create_string_utf8(env, "mvr_rtp batch", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &r->tsfn) != napi_ok)
    return throw_msg(env, "mvr_rtp start: napi_create_threadsafe_function failed");
  /* no socket yet: the receiver does not keep the process alive */
  napi_unref_threadsafe_function(env, r->tsfn);
  if (napi_add_env_cleanup_hook(env, cleanup_hook, r) == napi_ok) r->hook_added = 1;
  int e = pthread_create(&r->thread, NULL, run, r);
  if (e != 0) return throw_sys(env, "pthread_create", e, NULL, 0);
  r->thread_started = 1;
  pthread_setname_np(r->thread, "mvr-rtp"); /* for top -H and the load bench's CPU by thread */
  return ext;
}

/* open(receiver, address (IPv4 or IPv6 text), port) -> [id, boundPort] */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return throw_msg(env, "mvr_rtp open: expected (receiver, address, port)");
  Receiver *r = get_receiver(env, argv[0]);
  if (!r) return NULL;
  if (r->stopped) return throw_msg(env, "mvr_rtp open: the receiver is stopped");
  char text[INET6_ADDRSTRLEN + 1];
  size_t text_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], text, sizeof text, &text_len) != napi_ok)
    return throw_msg(env, "mvr_rtp open: the address must be a string");
  int32_t port = -1;
  napi_valuetype t;
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_number || napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      port < 0 || port > 65535)
    return throw_msg(env, "mvr_rtp open: the port must be a number 0-65535");
  struct sockaddr_storage ss;
  socklen_t ss_len;
  int family;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    family = 4;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    ss_len = sizeof *a4;
  } else if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    family = 6;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    ss_len = sizeof *a6;
  } else {
    char msg[120];
    snprintf(msg, sizeof msg, "mvr_rtp open: '%.60s' is not an IPv4 or IPv6 address", text);
    return throw_msg(env, msg);
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_sys(env, "socket", errno, NULL, 0);
  if (family == 6) {
    int off = 0; /* dual stack, as node:dgram's udp6 */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (r->rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r->rcvbuf, sizeof r->rcvbuf); /* capped by net.core.rmem_max */
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int e = errno;
    close(fd);
    return throw_sys(env, "bind", e, text, port);
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
    int e = errno;
    close(fd);
    return throw_sys(env, "getsockname", e, NULL, 0);
  }
  int bound_port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                    : ((struct sockaddr_in6 *)&bound)->sin6_port);
  pthread_mutex_lock(&r->mu);
  if (r->free_top == 0) {
    pthread_mutex_unlock(&r->mu);
    close(fd);
    return throw_msg(env, "mvr_rtp open: 65536 sockets are open in this receiver");
  }
  uint32_t index = r->free_stack[--r->free_top];
  Slot *s = &r->slots[index];
  uint32_t id = ((uint32_t)s->gen << 16) | index;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = id};
  if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    r->free_top++;
    pthread_mutex_unlock(&r->mu);
    close(fd);
    return throw_sys(env, "epoll_ctl", e, NULL, 0);
  }
  s->fd = fd;
  s->open = 1;
  r->open_count++;
  pthread_mutex_unlock(&r->mu);
  if (!r->tsfn_refed) {
    napi_ref_threadsafe_function(env, r->tsfn);
    r->tsfn_refed = 1;
  }
  napi_value out, v;
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, id, &v);
  napi_set_element(env, out, 0, v);
  napi_create_int32(env, bound_port, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

/* close(receiver, id) -> true when it was open */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_msg(env, "mvr_rtp close: expected (receiver, id)");
  Receiver *r = get_receiver(env, argv[0]);
  if (!r) return NULL;
  uint32_t id = 0;
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok) return throw_msg(env, "mvr_rtp close: the id must be a number");
  bool closed = false;
  pthread_mutex_lock(&r->mu);
  Slot *s = &r->slots[id & 0xffff];
  if (!r->stopped && s->open && s->gen == (id >> 16)) {
    epoll_ctl(r->ep, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->open = 0;
    s->gen++;
    r->free_stack[r->free_top++] = id & 0xffff;
    r->open_count--;
    closed = true;
  }
  uint32_t open_count = r->open_count;
  pthread_mutex_unlock(&r->mu);
  if (closed && open_count == 0 && r->tsfn_refed && r->tsfn) {
    napi_unref_threadsafe_function(env, r->tsfn);
    r->tsfn_refed = 0;
  }
  napi_value out;
  napi_get_boolean(env, closed, &out);
  return out;
}

/* sync(receiver, token): the thread reads what the sockets hold and answers with a batch
   carrying `token` (non-zero) after every earlier datagram. */
static napi_value sync_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return throw_msg(env, "mvr_rtp sync: expected (receiver, token)");
  Receiver *r = get_receiver(env, argv[0]);
  if (!r) return NULL;
  uint32_t token = 0;
  if (napi_get_value_uint32(env, argv[1], &token) != napi_ok || token == 0)
    return throw_msg(env, "mvr_rtp sync: the token must be a number > 0");
  if (r->stopped) return throw_msg(env, "mvr_rtp sync: the receiver is stopped");
  __atomic_store_n(&r->sync_asked, token, __ATOMIC_RELEASE);
  uint64_t one = 1;
  ssize_t w = write(r->wake, &one, sizeof one);
  (void)w;
  return NULL;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return throw_msg(env, "mvr_rtp stop: expected (receiver)");
  Receiver *r = get_receiver(env, argv[0]);
  if (!r) return NULL;
  stop_receiver(r);
  return NULL;
}

static void set_number(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return throw_msg(env, "mvr_rtp stats: expected (receiver)");
  Receiver *r = get_receiver(env, argv[0]);
  if (!r) return NULL;
  napi_value out;
  napi_create_object(env, &out);
  pthread_mutex_lock(&r->mu);
  set_number(env, out, "sockets", r->open_count);
  set_number(env, out, "datagrams", (double)r->datagrams);
  set_number(env, out, "batches", (double)__atomic_load_n(&r->batches, __ATOMIC_RELAXED));
  set_number(env, out, "truncated", (double)r->truncated);
  set_number(env, out, "errors", (double)r->errors);
  pthread_mutex_unlock(&r->mu);
  return out;
}

/* addressText(batch, recordOffset) -> the record's source address as text */
static napi_value address_text(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data = NULL;
  size_t len = 0;
  uint32_t offset = 0;
  bool is_buffer = false;
  if (argc == 2) napi_is_buffer(env, argv[0], &is_buffer);
  if (!is_buffer || napi_get_value_uint32(env, argv[1], &offset) != napi_ok)
    return throw_msg(env, "mvr_rtp addressText: expected (buffer, offset)");
  napi_get_buffer_info(env, argv[0], &data, &len);
  if ((size_t)offset + HEADER > len) return throw_msg(env, "mvr_rtp addressText: offset outside the buffer");
  const uint8_t *p = (const uint8_t *)data + offset;
  char text[INET6_ADDRSTRLEN] = "";
  if (p[8] == 4) inet_ntop(AF_INET, p + 12, text, sizeof text);
  else if (p[8] == 6) inet_ntop(AF_INET6, p + 12, text, sizeof text);
  else return throw_msg(env, "mvr_rtp addressText: the record has no address");
  napi_value out;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_default, NULL},
      {"sync", NULL, sync_receiver, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
      {"addressText", NULL, address_text, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_uint32(env, HEADER, &v);
  napi_set_named_property(env, exports, "RECORD_HEADER_BYTES", v);
  mvr_syncfs_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
