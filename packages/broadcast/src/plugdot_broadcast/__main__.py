"""``python -m plugdot_broadcast URL CHANNEL JSON``: publish one message."""
import json
import sys

from . import publish

if len(sys.argv) != 4:
    sys.exit('usage: python -m plugdot_broadcast URL CHANNEL JSON')
print(publish(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))
