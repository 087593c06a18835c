"""The end-to-end suite's marks: ``hardhat`` for the tests run against Hardhat's node
(tests/utils/node.py NODE_KINDS). `make test` runs them with the rest; ``-m hardhat``
runs them alone, ``-m "not hardhat"`` leaves them out."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hardhat: runs the CLI against Hardhat's node (npm hardhat 2.x) as well"
    )
