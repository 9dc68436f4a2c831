"""The trainer's --dropout reaches the network it trains, and nonsense shares are refused."""
import pytest


def dropout_rates(net) -> dict[str, float]:
    return {layer.name: layer.rate for layer in net.layers if layer.name.startswith("dropout_")}


def test_the_default_is_the_served_recipe_and_a_share_given_reaches_both_dropout_layers():
    from training.train import build_net, parse_args

    assert dropout_rates(build_net(parse_args(["--data", "x.npz", "--width", "8"]))) == {
        "dropout_features": 0.25, "dropout_hidden": 0.5}
    assert dropout_rates(build_net(parse_args(["--data", "x.npz", "--width", "8", "--dropout", "0.3"]))) == {
        "dropout_features": 0.15, "dropout_hidden": 0.3}


@pytest.mark.parametrize("share", ["-0.1", "1", "1.5", "nan"])
def test_a_dropout_that_is_not_a_share_below_one_is_refused(share):
    from training.train import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--data", "x.npz", "--dropout", share])
