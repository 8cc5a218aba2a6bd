/*
 * syncfs(2) for the call journals' group commit (src/capture/JournalSyncGroup.ts): the
 * journals of every call write into the page cache, then one syncfs of the journal
 * directory's file system makes all of them durable at once, instead of one O_DSYNC
 * write (one wait for the disk, one thread hand-over) per call and second.
 *
 *   syncfs(fd) -> Promise<void>   runs on libuv's pool; rejects with a Node-style error
 *                                 (code, errno, syscall 'syncfs')
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvr_syncfs.h"

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int error;
} SyncWork;

static void sync_execute(napi_env env, void *data) {
  (void)env;
  SyncWork *w = data;
  w->error = syncfs(w->fd) == 0 ? 0 : errno;
}

static void sync_complete(napi_env env, napi_status status, void *data) {
  SyncWork *w = data;
  napi_value result;
  if (status == napi_ok && w->error == 0) {
    napi_get_undefined(env, &result);
    napi_resolve_deferred(env, w->deferred, result);
  } else {
    int e = status == napi_ok ? w->error : ECANCELED;
    const char *code = strerrorname_np(e);
    char msg[160];
    snprintf(msg, sizeof msg, "syncfs %s (%s)", code ? code : "EUNKNOWN", strerror(e));
    napi_value m, c, v;
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_string_utf8(env, code ? code : "EUNKNOWN", NAPI_AUTO_LENGTH, &c);
    napi_create_error(env, c, m, &result);
    napi_create_int32(env, -e, &v);
    napi_set_named_property(env, result, "errno", v);
    napi_create_string_utf8(env, "syncfs", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, result, "syscall", v);
    napi_reject_deferred(env, w->deferred, result);
  }
  napi_delete_async_work(env, w->work);
  free(w);
}

static napi_value sync_fs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "mvr_rtp syncfs: a file descriptor expected");
    return NULL;
  }
  SyncWork *w = calloc(1, sizeof *w);
  if (!w) {
    napi_throw_error(env, "ENOMEM", "mvr_rtp syncfs: out of memory");
    return NULL;
  }
  w->fd = fd;
  napi_value promise, name;
  napi_create_promise(env, &w->deferred, &promise);
  napi_create_string_utf8(env, "mvr_syncfs", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, sync_execute, sync_complete, w, &w->work);
  napi_queue_async_work(env, w->work);
  return promise;
}

void mvr_syncfs_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 1, props);
}
