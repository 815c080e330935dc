"""Serve one benchmark app: python bench/serve_one.py FRAMEWORK SERVER PORT"""
import sys

import apps


def main(framework, server, port):
    app = apps.FRAMEWORKS[framework]()
    if server == 'uvicorn':
        import uvicorn
        uvicorn.run(app, host='127.0.0.1', port=port, log_level='error', access_log=False,
                    lifespan='auto')
    else:
        import asyncio
        from hypercorn.asyncio import serve
        from hypercorn.config import Config
        config = Config()
        config.bind = ['127.0.0.1:%d' % port]
        config.accesslog = None
        config.errorlog = None
        asyncio.run(serve(app, config))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
