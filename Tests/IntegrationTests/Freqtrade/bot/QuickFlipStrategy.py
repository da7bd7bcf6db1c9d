# QuickFlipStrategy: a test strategy for freqtrade (INTERFACE_VERSION 3) that opens and closes
# dry-run trades within a couple of minutes, so that a supervisor's tests see real trade traffic.
#
# - timeframe 1m; entry signal on every closed candle with volume > 0 (the fake exchange always has
#   volume), so a trade per whitelisted pair opens at the first new candle after start-up
#   (at most ~60 s + one loop), up to max_open_trades.
# - exit via custom_exit once a trade is older than `quickflip_hold_seconds` (config key, default 45;
#   set it very high to keep trades open, e.g. for "overdue trade" tests). exit_reason "quickflip".
# - minimal_roi is effectively disabled (1000 %), stoploss -10 % (freqtrade's own, or on the exchange
#   when the config says order_types.stoploss_on_exchange = true).
# Plain pandas only; no TA-Lib.

from datetime import datetime

from pandas import DataFrame

from freqtrade.persistence import Trade
from freqtrade.strategy import IStrategy


class QuickFlipStrategy(IStrategy):
    INTERFACE_VERSION = 3

    timeframe = "1m"
    can_short = False

    minimal_roi = {"0": 10.0}
    stoploss = -0.10
    trailing_stop = False

    process_only_new_candles = True
    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False

    startup_candle_count = 5

    order_types = {
        "entry": "market",
        "exit": "market",
        "stoploss": "market",
        "stoploss_on_exchange": False,
        "stoploss_on_exchange_interval": 60,
    }

    def hold_seconds(self) -> float:
        return float(self.config.get("quickflip_hold_seconds", 45))

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["sma3"] = dataframe["close"].rolling(3).mean()
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["volume"] > 0, ["enter_long", "enter_tag"]] = (1, "quickflip")
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def custom_exit(
        self,
        pair: str,
        trade: Trade,
        current_time: datetime,
        current_rate: float,
        current_profit: float,
        **kwargs,
    ):
        if (current_time - trade.open_date_utc).total_seconds() >= self.hold_seconds():
            return "quickflip"
        return None
