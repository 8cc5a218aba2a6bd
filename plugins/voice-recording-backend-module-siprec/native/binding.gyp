{
  "targets": [
    {
      "target_name": "mvr_rtp",
      "sources": ["mvr_rtp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-lpthread"]
    }
  ]
}
