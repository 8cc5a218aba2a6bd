{
  "targets": [
    {
      "target_name": "mvr_rtp",
      "sources": ["mvr_rtp.c", "mvr_syncfs.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-lpthread"]
    }
  ]
}
