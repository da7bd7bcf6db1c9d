#!/usr/bin/env python3
"""Fake Binance spot REST API for running the real freqtrade fully offline (Python 3 stdlib only).

Usage
    python3 fake_binance.py [--port N] [--control-port N] [--pairs BTC/USDT,ETH/USDT,...]

    Both ports default to 0 (the kernel picks a free port). Everything binds to 127.0.0.1 only.
    On start-up the server prints exactly two lines on stdout, flushed, then nothing more:
        listening 127.0.0.1:<api-port>
        control 127.0.0.1:<control-port>
    Request logging goes to stderr (one line per request) unless --quiet is given.
    SIGTERM / SIGINT end it (exit 0).

Market data (API port, what freqtrade 2026.9 spot dry-run calls)
    GET /api/v3/ping                 {}
    GET /api/v3/time                 {"serverTime": <ms>}
    GET /api/v3/exchangeInfo         all pairs, status TRADING, permissionSets [["SPOT"]], filters
                                     PRICE_FILTER (tickSize 0.01), LOT_SIZE (stepSize 0.00001/0.0001),
                                     NOTIONAL (minNotional 5), MARKET_LOT_SIZE, ...
    GET /api/v3/klines               symbol, interval (1s..1M), limit (default 500, max 1000), startTime,
                                     endTime; prices are a deterministic function of time (sum of sines),
                                     the current candle is included and moves with the clock
    GET /api/v3/ticker/24hr          ?symbol=X -> object; ?symbols=["X","Y"] or nothing -> list
    GET /api/v3/ticker/price|bookTicker   same selection rules
    GET /api/v3/depth                symbol, limit (default 100): 1 bp spaced levels around the price
    GET /fapi/v1/exchangeInfo, /dapi/v1/exchangeInfo   empty symbol lists (ccxt loads them by default)
    Any path is accepted behind any prefix (ccxt's urls.api entries may all point at the same base
    URL), i.e. ".../api/v3/klines" is matched on its tail. Unknown endpoints: 400 {"code":-1100,...}.

Fault injection (the "mode"; applies to market-data requests on the API port)
    ok       normal answers
    hang     requests are accepted and read, but not answered while the mode stays "hang"; when the mode
             changes they are finished according to the new mode (ok: answered, 503: 503, refuse:
             connection closed without an answer)
    503      every request gets HTTP 503 "Service Unavailable" (text/html body, like Binance's CDN)
    refuse   the API listening socket is closed, so connects fail with ECONNREFUSED; leaving "refuse"
             re-binds the same port (SO_REUSEADDR) before the control request returns
    The API server speaks HTTP/1.0 (one request per connection), so no keep-alive connection survives
    a mode change.

Control interface (control port, always reachable; also served on the API port unless mode is refuse)
    POST /control/mode          body "ok" | "hang" | "503" | "refuse"   -> 200 {"mode": "..."}
    GET  /control/mode?set=M    same as the POST                        -> 200 {"mode": "..."}
    GET  /control/mode          current mode                            -> 200 {"mode": "..."}
    GET  /control/stats         {"mode", "api_port", "requests": {"/api/v3/klines": n, ...},
                                 "last_request_ts": <unix s>, "hung": <requests waiting now>}
    POST /control/price?symbol=BTCUSDT&factor=0.8   multiply that symbol's price by factor from now on
                                (e.g. to drive a stop loss); factor=1 resets. -> {"symbol", "factor"}
    Anything else on the control port: 404.

Example
    python3 fake_binance.py --port 0 --control-port 0 &
    curl -s -XPOST --data refuse http://127.0.0.1:<control-port>/control/mode
"""

import argparse
import json
import math
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HOST = "127.0.0.1"
MODES = ("ok", "hang", "503", "refuse")

# symbol -> (base, quote, base price, price decimals, qty step)
DEFAULT_PAIRS = {
    "BTC/USDT": (60000.0, 2, "0.00001"),
    "ETH/USDT": (3000.0, 2, "0.0001"),
    "BNB/USDT": (600.0, 2, "0.001"),
    "SOL/USDT": (150.0, 2, "0.001"),
    "XRP/USDT": (0.6, 4, "0.1"),
    "ADA/USDT": (0.45, 4, "0.1"),
}

INTERVALS_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000,
    "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000, "6h": 21_600_000, "8h": 28_800_000,
    "12h": 43_200_000, "1d": 86_400_000, "3d": 259_200_000, "1w": 604_800_000, "1M": 2_592_000_000,
}


class Market:
    def __init__(self, pair, base_price, decimals, step):
        self.base, self.quote = pair.split("/")
        self.symbol = self.base + self.quote
        self.base_price = base_price
        self.decimals = decimals
        self.step = step
        self.phase = (sum(ord(c) for c in self.symbol) % 97) / 97.0 * 2 * math.pi
        self.factor = 1.0

    def price(self, t_ms):
        """Deterministic price at time t_ms: slow trend + medium and fast waves (about +-2.7 %)."""
        t = t_ms / 1000.0
        p = self.phase
        rel = (0.02 * math.sin(2 * math.pi * t / 3600.0 + p)
               + 0.005 * math.sin(2 * math.pi * t / 97.0 + 2 * p)
               + 0.002 * math.sin(2 * math.pi * t / 13.0 + 3 * p))
        return self.base_price * (1.0 + rel) * self.factor

    def fmt(self, x):
        return "%.*f" % (self.decimals, x)

    def candle(self, open_ms, interval_ms, now_ms):
        end = min(open_ms + interval_ms - 1, now_ms)
        samples = 24
        pts = [self.price(open_ms + (end - open_ms) * i / samples) for i in range(samples + 1)]
        o, c = pts[0], pts[-1]
        h, l = max(pts), min(pts)
        # deterministic, positive volume; scaled by how much of the candle has elapsed
        frac = (end - open_ms + 1) / interval_ms
        vol = (10.0 + 5.0 * math.sin(open_ms / 1e7 + self.phase)) * 1000.0 / self.base_price
        vol *= max(frac, 0.01) * max(interval_ms / 60_000, 1 / 60)
        qvol = vol * (o + c) / 2
        trades = int(50 + 40 * math.sin(open_ms / 3e6 + self.phase))
        return [open_ms, self.fmt(o), self.fmt(h), self.fmt(l), self.fmt(c), "%.8f" % vol,
                open_ms + interval_ms - 1, "%.8f" % qvol, trades, "%.8f" % (vol / 2),
                "%.8f" % (qvol / 2), "0"]

    def exchange_info(self):
        return {
            "symbol": self.symbol, "status": "TRADING",
            "baseAsset": self.base, "baseAssetPrecision": 8,
            "quoteAsset": self.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                           "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True, "ocoAllowed": True, "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True, "cancelReplaceAllowed": True,
            "amendAllowed": True, "isSpotTradingAllowed": True, "isMarginTradingAllowed": False,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.%s1" % ("0" * (self.decimals - 1)),
                 "maxPrice": "1000000.00000000", "tickSize": "0.%s1" % ("0" * (self.decimals - 1))},
                {"filterType": "LOT_SIZE", "minQty": self.step, "maxQty": "9000.00000000",
                 "stepSize": self.step},
                {"filterType": "ICEBERG_PARTS", "limit": 10},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000",
                 "stepSize": "0.00000000"},
                {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10,
                 "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10,
                 "maxTrailingBelowDelta": 2000},
                {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
                 "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": True,
                 "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5},
                {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
                {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
            ],
            "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"],
        }

    def ticker(self, now_ms):
        last = self.price(now_ms)
        open_ = self.price(now_ms - 86_400_000)
        spread = last * 0.0001
        hi = max(last, open_) * 1.03
        lo = min(last, open_) * 0.97
        vol = 1_000_000.0 / self.base_price
        return {
            "symbol": self.symbol, "priceChange": self.fmt(last - open_),
            "priceChangePercent": "%.3f" % ((last - open_) / open_ * 100),
            "weightedAvgPrice": self.fmt((hi + lo) / 2), "prevClosePrice": self.fmt(open_),
            "lastPrice": self.fmt(last), "lastQty": self.step,
            "bidPrice": self.fmt(last - spread), "bidQty": "1.00000000",
            "askPrice": self.fmt(last + spread), "askQty": "1.00000000",
            "openPrice": self.fmt(open_), "highPrice": self.fmt(hi), "lowPrice": self.fmt(lo),
            "volume": "%.8f" % vol, "quoteVolume": "%.8f" % (vol * last),
            "openTime": now_ms - 86_400_000, "closeTime": now_ms,
            "firstId": 1, "lastId": 100000, "count": 100000,
        }

    def depth(self, now_ms, limit):
        mid = self.price(now_ms)
        tick = 10 ** -self.decimals
        bids, asks = [], []
        for i in range(limit):
            off = max(mid * 0.0001 * (i + 1), tick * (i + 1))
            qty = "%.8f" % (2000.0 / self.base_price * (1 + i % 5))
            bids.append([self.fmt(mid - off), qty])
            asks.append([self.fmt(mid + off), qty])
        return {"lastUpdateId": now_ms, "bids": bids, "asks": asks}


class State:
    def __init__(self, markets):
        self.markets = markets                      # symbol -> Market
        self.mode = "ok"
        self.cond = threading.Condition()
        self.counts = {}
        self.last_request_ts = None
        self.hung = 0
        self.api_port = None
        self.api_server = None
        self.api_thread = None
        self.listener_lock = threading.Lock()


def now_ms():
    return int(time.time() * 1000)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "fake-binance/1.0"
    state: State = None        # set on subclass
    is_control = False
    quiet = False

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("%s [%s] %s\n" % (time.strftime("%H:%M:%S"),
                             "control" if self.is_control else "api", fmt % args))

    # ---- helpers -------------------------------------------------------------------------------
    def send_json(self, code, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, code, text, ctype="text/plain"):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""

    # ---- dispatch ------------------------------------------------------------------------------
    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        try:
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path.startswith("/control/"):
                return self.control(method, url.path, query)
            if self.is_control:
                return self.send_json(404, {"error": "control port serves /control/* only"})
            self.api(method, url.path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ---- control -------------------------------------------------------------------------------
    def control(self, method, path, query):
        st = self.state
        if path == "/control/mode":
            new = None
            if method == "POST":
                new = self.read_body().strip() or query.get("set")
            elif "set" in query:
                new = query["set"]
            if new is not None:
                if new not in MODES:
                    return self.send_json(400, {"error": "mode must be one of %s" % (MODES,)})
                set_mode(st, new)
            return self.send_json(200, {"mode": st.mode})
        if path == "/control/stats":
            with st.cond:
                return self.send_json(200, {"mode": st.mode, "api_port": st.api_port,
                                            "requests": dict(st.counts),
                                            "last_request_ts": st.last_request_ts, "hung": st.hung})
        if path == "/control/price":
            sym = query.get("symbol", "").replace("/", "").upper()
            if sym not in st.markets:
                return self.send_json(400, {"error": "unknown symbol"})
            try:
                st.markets[sym].factor = float(query.get("factor", "1"))
            except ValueError:
                return self.send_json(400, {"error": "bad factor"})
            return self.send_json(200, {"symbol": sym, "factor": st.markets[sym].factor})
        return self.send_json(404, {"error": "unknown control endpoint"})

    # ---- API -----------------------------------------------------------------------------------
    def api(self, method, path, query):
        st = self.state
        # match on the tail so that any urls.api prefix works
        for prefix in ("/api/v3/", "/api/v1/", "/fapi/v1/", "/dapi/v1/", "/sapi/v1/"):
            i = path.find(prefix)
            if i >= 0:
                key = path[i:]
                break
        else:
            key = path
        with st.cond:
            st.counts[key] = st.counts.get(key, 0) + 1
            st.last_request_ts = time.time()
            if st.mode == "hang":
                st.hung += 1
                try:
                    while st.mode == "hang":
                        st.cond.wait()
                finally:
                    st.hung -= 1
            mode = st.mode
        if mode == "refuse":
            # drop without an answer
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == "503":
            return self.send_text(503, "<html><body><h1>503 Service Unavailable</h1></body></html>",
                                  "text/html")
        if method != "GET":
            return self.send_json(400, {"code": -1100, "msg": "Only public GET endpoints are faked."})
        handler = API_ROUTES.get(key)
        if handler is None:
            return self.send_json(400, {"code": -1100, "msg": "Unknown endpoint %s" % key})
        code, obj = handler(st, query)
        self.send_json(code, obj)


def bad_symbol():
    return 400, {"code": -1121, "msg": "Invalid symbol."}


def sel_markets(st, query):
    """symbol=X -> (market, True); symbols=["X",..] -> ([..], False); none -> (all, False)."""
    if "symbol" in query:
        m = st.markets.get(query["symbol"].upper())
        return (m, True)
    if "symbols" in query:
        try:
            syms = json.loads(query["symbols"])
        except ValueError:
            return (None, False)
        ms = [st.markets.get(s) for s in syms]
        return (None if None in ms else ms, False)
    return (list(st.markets.values()), False)


def r_ping(st, q):
    return 200, {}


def r_time(st, q):
    return 200, {"serverTime": now_ms()}


def r_exchange_info(st, q):
    return 200, {
        "timezone": "UTC", "serverTime": now_ms(),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": [m.exchange_info() for m in st.markets.values()],
    }


def r_empty_exchange_info(st, q):
    return 200, {"timezone": "UTC", "serverTime": now_ms(), "rateLimits": [], "exchangeFilters": [],
                 "assets": [], "symbols": []}


def r_klines(st, q):
    m = st.markets.get(q.get("symbol", "").upper())
    if m is None:
        return bad_symbol()
    iv = INTERVALS_MS.get(q.get("interval", ""))
    if iv is None:
        return 400, {"code": -1120, "msg": "Invalid interval."}
    try:
        limit = int(q.get("limit", 500))
        start = int(q["startTime"]) if "startTime" in q else None
        end = int(q["endTime"]) if "endTime" in q else None
    except ValueError:
        return 400, {"code": -1100, "msg": "Illegal characters found in parameter."}
    limit = max(1, min(limit, 1000))
    now = now_ms()
    current_open = now - now % iv
    last_open = current_open if end is None else min(current_open, end - end % iv)
    if start is not None:
        first_open = start if start % iv == 0 else start - start % iv + iv
        opens = range(first_open, min(last_open, first_open + (limit - 1) * iv) + 1, iv)
    else:
        opens = range(last_open - (limit - 1) * iv, last_open + 1, iv)
    return 200, [m.candle(o, iv, now) for o in opens if o >= 0]


def per_market(st, q, one):
    """`one(market, now)` for the market `symbol` names, or for every market when none is named; a symbol
    the exchange does not list is refused as Binance refuses it."""
    sel, single = sel_markets(st, q)
    if sel is None:
        return bad_symbol()
    now = now_ms()
    return 200, (one(sel, now) if single else [one(m, now) for m in sel])


def r_ticker_24hr(st, q):
    return per_market(st, q, lambda m, now: m.ticker(now))


def r_ticker_price(st, q):
    return per_market(st, q, lambda m, now: {"symbol": m.symbol, "price": m.fmt(m.price(now))})


def r_book_ticker(st, q):
    def one(m, now):
        t = m.ticker(now)
        return {k: t[k] for k in ("symbol", "bidPrice", "bidQty", "askPrice", "askQty")}
    return per_market(st, q, one)


def r_depth(st, q):
    m = st.markets.get(q.get("symbol", "").upper())
    if m is None:
        return bad_symbol()
    try:
        limit = int(q.get("limit", 100))
    except ValueError:
        limit = 100
    return 200, m.depth(now_ms(), max(1, min(limit, 5000)))


API_ROUTES = {
    "/api/v3/ping": r_ping,
    "/api/v1/ping": r_ping,
    "/api/v3/time": r_time,
    "/api/v3/exchangeInfo": r_exchange_info,
    "/api/v3/klines": r_klines,
    "/api/v3/uiKlines": r_klines,
    "/api/v3/ticker/24hr": r_ticker_24hr,
    "/api/v3/ticker/price": r_ticker_price,
    "/api/v3/ticker/bookTicker": r_book_ticker,
    "/api/v3/depth": r_depth,
    "/fapi/v1/exchangeInfo": r_empty_exchange_info,
    "/dapi/v1/exchangeInfo": r_empty_exchange_info,
}


class Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def make_handler(st, is_control, quiet):
    return type("H", (Handler,), {"state": st, "is_control": is_control, "quiet": quiet})


def start_api(st, quiet):
    srv = Server((HOST, st.api_port or 0), make_handler(st, False, quiet))
    st.api_port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    st.api_server, st.api_thread = srv, t


def stop_api(st):
    srv = st.api_server
    st.api_server = None
    if srv is not None:
        srv.shutdown()
        srv.server_close()


def set_mode(st, new):
    with st.listener_lock:
        old = st.mode
        if new == "refuse" and st.api_server is not None:
            with st.cond:
                st.mode = new
                st.cond.notify_all()
            stop_api(st)
            return
        if old == "refuse" and new != "refuse" and st.api_server is None:
            deadline = time.time() + 5
            while True:
                try:
                    start_api(st, Handler.quiet)
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)
        with st.cond:
            st.mode = new
            st.cond.notify_all()


def main():
    ap = argparse.ArgumentParser(description="Fake Binance spot REST API (loopback only)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--pairs", default=",".join(DEFAULT_PAIRS),
                    help="comma separated, from: " + ",".join(DEFAULT_PAIRS))
    ap.add_argument("--mode", choices=MODES, default="ok", help="initial mode")
    ap.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = ap.parse_args()

    markets = {}
    for pair in args.pairs.split(","):
        pair = pair.strip().upper()
        if pair not in DEFAULT_PAIRS:
            ap.error("unknown pair %s" % pair)
        m = Market(pair, *DEFAULT_PAIRS[pair])
        markets[m.symbol] = m
    st = State(markets)
    st.api_port = args.port
    Handler.quiet = args.quiet
    start_api(st, args.quiet)
    ctl = Server((HOST, args.control_port), make_handler(st, True, args.quiet))
    sys.stdout.write("listening %s:%d\ncontrol %s:%d\n" % (HOST, st.api_port, HOST, ctl.server_address[1]))
    sys.stdout.flush()
    if args.mode != "ok":
        set_mode(st, args.mode)

    def bye(signum, frame):
        # At once: request threads may be holding hung requests, and a clean interpreter exit would wait for them.
        sys.stdout.flush()
        os._exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    try:
        ctl.serve_forever(poll_interval=0.2)
    finally:
        with st.cond:
            st.mode = "refuse"
            st.cond.notify_all()


if __name__ == "__main__":
    main()
