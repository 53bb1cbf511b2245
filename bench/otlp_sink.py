#!/usr/bin/env python3
"""An OTLP/gRPC trace sink for bench/traces.sh: accepts every export, counts the bytes, keeps nothing.

Usage: bench/otlp_sink.py PORT   (prints "exports=N bytes=N" on SIGTERM)
"""
import signal
import sys
from concurrent import futures

import grpc

counts = {"exports": 0, "bytes": 0}


def export(request, context):
    counts["exports"] += 1
    counts["bytes"] += len(request)
    return b""  # an empty ExportTraceServiceResponse: full success


def main():
    handler = grpc.method_handlers_generic_handler(
        "opentelemetry.proto.collector.trace.v1.TraceService",
        {"Export": grpc.unary_unary_rpc_method_handler(export)},
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    server.add_insecure_port(f"127.0.0.1:{sys.argv[1]}")
    server.start()

    def stop(*_):
        print(f"exports={counts['exports']} bytes={counts['bytes']}", flush=True)
        server.stop(0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
