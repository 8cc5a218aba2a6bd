/*
 * A minimal N-API binding of the system's libopus encoder (mono, 16-bit PCM in, one Opus
 * packet out), for the recorder's archive (src/audio/opusCodec.ts loads it when it was
 * built: scripts/build-native-opus.sh). Needs libopus-dev (Debian) at build time.
 *
 *   const enc = new Encoder(sampleRate, application); enc.ctl(request, value);
 *   enc.encode(int16Array) -> Buffer; enc.reset(); enc.close();
 */
#include <node_api.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PACKET 4000

typedef struct {
  OpusEncoder *enc;
  unsigned char packet[MAX_PACKET];
} Encoder;

static napi_value throw_error(napi_env env, const char *what, int code) {
  char msg[160];
  snprintf(msg, sizeof msg, "libopus (native): %s: %s", what, code ? opus_strerror(code) : "bad argument");
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Encoder *e = (Encoder *)data;
  if (e->enc) opus_encoder_destroy(e->enc);
  free(e);
}

static Encoder *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || !data) return NULL;
  return (Encoder *)data;
}

static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  int32_t rate = 0, app = OPUS_APPLICATION_VOIP;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &rate) != napi_ok) return throw_error(env, "sample rate", 0);
  if (argc > 1) napi_get_value_int32(env, argv[1], &app);
  int err = 0;
  Encoder *e = (Encoder *)calloc(1, sizeof(Encoder));
  if (!e) return throw_error(env, "allocation", OPUS_ALLOC_FAIL);
  e->enc = opus_encoder_create(rate, 1, app, &err);
  if (err != OPUS_OK || !e->enc) {
    free(e);
    return throw_error(env, "opus_encoder_create", err);
  }
  if (napi_wrap(env, self, e, finalize, NULL, NULL) != napi_ok) {
    opus_encoder_destroy(e->enc);
    free(e);
    return throw_error(env, "wrap", 0);
  }
  return self;
}

static napi_value ctl(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Encoder *e = unwrap(env, info, &argc, argv);
  if (!e || !e->enc) return throw_error(env, "encoder closed", 0);
  int32_t req = 0, val = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &req) != napi_ok || napi_get_value_int32(env, argv[1], &val) != napi_ok)
    return throw_error(env, "ctl arguments", 0);
  int r;
  switch (req) {
    case OPUS_SET_BITRATE_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(val)); break;
    case OPUS_SET_COMPLEXITY_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(val)); break;
    case OPUS_SET_SIGNAL_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(val)); break;
    case OPUS_SET_DTX_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_DTX(val)); break;
    case OPUS_SET_VBR_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_VBR(val)); break;
    case OPUS_SET_VBR_CONSTRAINT_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_VBR_CONSTRAINT(val)); break;
    case OPUS_SET_APPLICATION_REQUEST: r = opus_encoder_ctl(e->enc, OPUS_SET_APPLICATION(val)); break;
    case OPUS_RESET_STATE: r = opus_encoder_ctl(e->enc, OPUS_RESET_STATE); break;
    default: return throw_error(env, "unsupported ctl request", 0);
  }
  if (r != OPUS_OK) return throw_error(env, "opus_encoder_ctl", r);
  return NULL;
}

static napi_value encode(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Encoder *e = unwrap(env, info, &argc, argv);
  if (!e || !e->enc) return throw_error(env, "encoder closed", 0);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int16_array)
    return throw_error(env, "encode takes an Int16Array", 0);
  opus_int32 n = opus_encode(e->enc, (const opus_int16 *)data, (int)length, e->packet, MAX_PACKET);
  if (n < 0) return throw_error(env, "opus_encode", n);
  napi_value out;
  void *copy;
  if (napi_create_buffer_copy(env, (size_t)n, e->packet, &copy, &out) != napi_ok) return throw_error(env, "buffer", 0);
  return out;
}

static napi_value close_encoder(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Encoder *e = unwrap(env, info, &argc, NULL);
  if (e && e->enc) {
    opus_encoder_destroy(e->enc);
    e->enc = NULL;
  }
  return NULL;
}

static napi_value version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_string_utf8(env, opus_get_version_string(), NAPI_AUTO_LENGTH, &v);
  return v;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"ctl", NULL, ctl, NULL, NULL, NULL, napi_default, NULL},
      {"encode", NULL, encode, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_encoder, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, ver;
  napi_define_class(env, "Encoder", NAPI_AUTO_LENGTH, construct, NULL, 3, methods, &cls);
  napi_set_named_property(env, exports, "Encoder", cls);
  napi_create_function(env, "version", NAPI_AUTO_LENGTH, version, NULL, &ver);
  napi_set_named_property(env, exports, "version", ver);
  return exports;
}
