import os, time
from ape.logging import logger
from rich.console import Console
from sovereign import apefix
import sovereign.benchdesk as b

def main():
    logger.set_level("WARNING")
    apefix.apply_all()
    b.PARTICIPANTS = int(os.environ.get("N", "1000"))
    t = time.time()
    b.run_desk_bench(Console(width=160))
    print("seconds", time.time() - t)
