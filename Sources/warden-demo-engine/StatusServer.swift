import Foundation
import Hummingbird

/// `GET /status`. Keys are snake_case on the wire (see `StatusServer.encoder`).
struct StatusReport: Encodable, Sendable {
    struct WebSocket: Encodable, Sendable {
        var lastMessageTime: Double
        var reconnects: Int
    }

    struct PnL: Encodable, Sendable {
        var mark: Double
        var last: Double
        var websocket: Double
    }

    struct PositionReport: Encodable, Sendable {
        var id: Int64
        var symbol: String
        var side: String
        var quantity: Double
        var entryPrice: Double
        var pnl: PnL
    }

    var openPositions: Int
    var monitoredPositions: Int
    var monitoredPositionIds: [Int64]
    var websocket: WebSocket
    var lastDecisionTime: Double?
    var decisions: Int
    var brokerConnections: Int
    var positions: [PositionReport]
    var faults: [String]
    /// What the bot says it is doing, as trading bots' APIs do (freqtrade's `running`, `stopped`, `paused`). The
    /// demo engine always trades; a silent loop still claims to, which is why it is not Warden's only witness.
    var state = "running"

    private enum CodingKeys: String, CodingKey {
        case openPositions, monitoredPositions, monitoredPositionIds, websocket, lastDecisionTime
        case decisions, brokerConnections, positions, faults, state
    }

    /// Written by hand only so that `last_decision_time` is `null` rather than missing.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(openPositions, forKey: .openPositions)
        try c.encode(monitoredPositions, forKey: .monitoredPositions)
        try c.encode(monitoredPositionIds, forKey: .monitoredPositionIds)
        try c.encode(websocket, forKey: .websocket)
        try c.encode(lastDecisionTime, forKey: .lastDecisionTime)
        try c.encode(decisions, forKey: .decisions)
        try c.encode(brokerConnections, forKey: .brokerConnections)
        try c.encode(positions, forKey: .positions)
        try c.encode(faults, forKey: .faults)
        try c.encode(state, forKey: .state)
    }
}

/// The status and admin HTTP API that Warden polls and drives.
///
/// Every handler first passes the `hang` gate: a hung engine accepts connections (the kernel
/// does) but never answers, which is what tells a hang apart from a crash.
struct StatusServer: Sendable {
    let engine: Engine
    let faults: FaultBoard

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Serves until the process ends; `onListening` receives the bound port (useful with port 0).
    func run(on endpoint: Endpoint, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(endpoint.host, port: endpoint.port)),
            onServerRunning: { channel in
                onListening(channel.localAddress?.port ?? endpoint.port)
            })
        try await app.run()
    }

    func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let engine = self.engine
        let faults = self.faults

        router.get("/health") { _, _ -> String in
            await faults.waitWhileHung()
            return "ok"
        }

        router.get("/status") { _, _ in
            await faults.waitWhileHung()
            return try Self.json(await engine.status())
        }

        router.post("/admin/rearm-monitoring") { request, _ in
            await faults.waitWhileHung()
            let reason = request.uri.queryParameters["reason"].map(String.init) ?? "rearm requested"
            do {
                let result = try await engine.rearmMonitoring(reason: reason.isEmpty ? "rearm requested" : reason)
                return try Self.json(["rearmed": result.rearmed, "failed": result.failed])
            } catch {
                Console.error("re-arm failed: \(error)")
                return try Self.json(["error": "re-arm failed: \(error)"], status: .internalServerError)
            }
        }

        router.get("/admin/faults") { _, _ in
            await faults.waitWhileHung()
            return try Self.json(FaultList(active: faults.activeNames, available: Fault.allCases.map(\.rawValue)))
        }

        /// POST switches the named fault on, DELETE switches it off; both answer with the fault list.
        @Sendable func switchFault(_ context: BasicRequestContext, on: Bool) async throws -> Response {
            await faults.waitWhileHung()
            guard let fault = context.parameters.get("name", as: Fault.self) else {
                return try Self.unknownFault(context.parameters.get("name"))
            }
            if on { await engine.activate(fault) } else { await engine.deactivate(fault) }
            return try Self.json(FaultList(active: faults.activeNames, available: Fault.allCases.map(\.rawValue)))
        }
        router.post("/admin/faults/{name}") { _, context in try await switchFault(context, on: true) }
        router.delete("/admin/faults/{name}") { _, context in try await switchFault(context, on: false) }

        return router
    }

    private struct FaultList: Encodable {
        var active: [String]
        var available: [String]
    }

    private struct FaultError: Encodable {
        var error: String
        var available: [String]
    }

    private static func unknownFault(_ name: String?) throws -> Response {
        try json(
            FaultError(error: "unknown fault '\(name ?? "")'", available: Fault.allCases.map(\.rawValue)),
            status: .notFound)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
