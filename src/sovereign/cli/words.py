"""Revert sentences in the session's own units: the stablecoin's and the cash's
symbols and decimals, labels for addresses, and function names for selectors."""

from __future__ import annotations


def selector_names(system) -> dict[bytes, str]:
    """4-byte selector -> ``Contract.function`` for every function of the system."""
    from eth_utils import function_signature_to_4byte_selector

    names = {}
    for contract in system.contracts().values():
        for abi in contract.contract_type.mutable_methods:
            names[function_signature_to_4byte_selector(abi.selector)] = (
                f"{contract.contract_type.name}.{abi.name}"
            )
    return names


def units(session, token=None):
    from sovereign.sentences import Token, Units

    labels = {address: label for label, address in session.op.labels.items()}
    return Units(
        coin=Token(session.op.coin_symbol, 18),
        cash=Token(session.cash_symbol, session.cash_decimals),
        token=token,
        price=session.price_unit,
        labels=labels,
        functions=selector_names(session.system),
    )


def describe_revert(session, revert) -> str:
    try:
        from sovereign.sentences import sentence
    except ImportError:  # the sentence table is being written
        return revert.sentence
    return sentence(revert.name, revert.inputs, units(session))
