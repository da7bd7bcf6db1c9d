import GRDB

/// The engine's database: the tables of the incident write-ups, which Warden queries directly.
enum Schema {
    /// Opens (creating if needed) the database in WAL mode with a 5 s busy timeout, because
    /// Warden reads and sometimes repairs the same file while the engine writes to it.
    static func open(path: String) async throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "demo-engine"
        // DatabasePool always runs in WAL journal mode.
        let pool = try DatabasePool(path: path, configuration: configuration)
        try await pool.write { db in
            try db.execute(sql: ddl)
        }
        return pool
    }

    static let ddl = """
        CREATE TABLE IF NOT EXISTS futures_positions (
            id INTEGER PRIMARY KEY,
            symbol TEXT NOT NULL,
            position_side TEXT NOT NULL,          -- 'LONG' | 'SHORT'
            status TEXT NOT NULL,                 -- 'open' | 'closed'
            account_id INTEGER NOT NULL DEFAULT 1,
            entry_price REAL NOT NULL,
            quantity REAL NOT NULL,
            open_time TEXT NOT NULL,
            planned_close_time TEXT,
            close_time TEXT,
            close_price REAL,
            realized_pnl REAL
        );
        CREATE TABLE IF NOT EXISTS position_stops (
            id INTEGER PRIMARY KEY,
            position_id INTEGER NOT NULL,
            symbol TEXT NOT NULL,
            entry_price REAL NOT NULL,
            stop_loss REAL,
            take_profit REAL,
            status TEXT NOT NULL,                 -- 'active' | 'cancelled' | 'triggered'
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS system_config (
            config_key TEXT PRIMARY KEY,
            config_value TEXT,
            expires_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS partial_take_profit_history (
            id INTEGER PRIMARY KEY,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            stage INTEGER NOT NULL,
            caller TEXT NOT NULL,
            result TEXT NOT NULL,                 -- 'success' | 'lock_busy' | 'recently_executed'
            timestamp TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS smart_exit_restart_log (
            id INTEGER PRIMARY KEY,
            restart_time TEXT NOT NULL,
            reason TEXT NOT NULL,
            success_count INTEGER NOT NULL,
            fail_count INTEGER NOT NULL
        );
        """
}
