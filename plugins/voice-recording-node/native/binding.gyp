{
  "targets": [
    {
      "target_name": "mvr_opus",
      "sources": ["mvr_opus.c"],
      "libraries": ["-lopus"],
      "cflags": ["-O2"]
    }
  ]
}
