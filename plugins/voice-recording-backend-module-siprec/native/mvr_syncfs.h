#ifndef MVR_SYNCFS_H
#define MVR_SYNCFS_H
#include <node_api.h>
/* adds syncfs(fd) -> Promise<void> to the addon's exports (mvr_syncfs.c) */
void mvr_syncfs_init(napi_env env, napi_value exports);
#endif
