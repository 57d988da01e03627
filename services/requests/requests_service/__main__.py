import sys

from requests_service.app import main as serve
from requests_service.cli import main as command

if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(command())
    serve()
