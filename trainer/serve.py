"""Serve the app with waitress (pure Python; also runs on the Windows servers many bureaus use)."""
from __future__ import annotations

import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve trainer with waitress")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from waitress import serve

    from trainer import create_app
    app = create_app()
    print(f"\n岗位大练兵学习平台已启动：http://{args.host}:{args.port}/  （Ctrl+C 停止）\n", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads,
          connection_limit=1000,               # the whole bureau may connect at once
          max_request_body_size=11 * 1024 * 1024,  # 10 MB uploads plus form overhead
          channel_timeout=120, ident="trainer")


if __name__ == "__main__":
    main()
