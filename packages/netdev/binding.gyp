{
  "targets": [
    {
      "target_name": "netdev",
      "sources": ["native/netdev.c", "native/coalesce.c", "native/segment.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
