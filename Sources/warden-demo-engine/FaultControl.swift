import Foundation
import GRDB

/// Switching faults on and off, and the fault behaviours that are more than a one-line branch.
///
/// Activation is deliberately silent on stdout/stderr: most of these failures were silent in
/// the incidents, and Warden has to find them from the outside.
extension Engine {
    func activate(_ fault: Fault) async {
        faults.insert(fault)
        switch fault {
        case .crash: FaultEffects.crash()
        case .dropMonitoring: dropAllMonitors()
        case .removeStops: await removeStops()
        case .staleLocks: await leakLocks()
        case .hang, .leakMemory, .overduePositions, .staleWs, .lockContention, .connectionFlood,
             .pnlDivergence, .silentDecisions:
            break  // checked on every tick
        }
    }

    func deactivate(_ fault: Fault) {
        guard faults.remove(fault) else { return }
        switch fault {
        case .connectionFlood:
            let closed = broker.closeExtras()
            if closed > 0 { Console.info("closed \(closed) extra broker connections") }
        case .lockContention:
            contentionTarget = nil
        case .staleWs:
            websocketReconnects += 1  // the feed comes back through a reconnect
        default:
            break
        }
    }

    /// Activates the command-line and environment faults after `--fault-after` seconds.
    func scheduleInitialFaults() {
        let initial = config.initialFaults
        guard !initial.isEmpty else { return }
        let delay = config.faultAfter
        Task {
            if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
            for fault in initial { await self.activate(fault) }
        }
    }

    // MARK: leak_memory

    func leakMemory() {
        leakedBytes += FaultEffects.leakChunk(alreadyLeaked: leakedBytes)
    }

    // MARK: remove_stops

    func removeStops() async {
        do {
            _ = try await db.write { try PositionStore.cancelActiveStops(in: $0) }
        } catch {
            Console.error("failed to update position stops: \(error)")
        }
    }

    // MARK: stale_locks

    /// Keeps at least two partial take-profit locks whose holder never releases them. They
    /// expire 30 s after being taken and then sit in `system_config` with `expires_at` in the
    /// past; a new one is leaked only when someone (Warden) deletes one.
    func leakLocks() async {
        let wanted = 2
        do {
            leakedLockKeys = try await desk.presentLocks(leakedLockKeys)
            guard leakedLockKeys.count < wanted else { return }
            let idle = try await desk.idleTargets(among: leakCandidates())
            for target in idle.shuffled(using: &rng).prefix(wanted - leakedLockKeys.count) {
                guard let caller = Caller.allCases.randomElement(using: &rng) else { break }
                let outcome = try await desk.execute(target, as: caller, leakLock: true)
                if case .lockBusy = outcome { continue }
                leakedLockKeys.insert(target.lockKey)
            }
        } catch {
            Console.error("partial take-profit lock error: \(error)")
        }
    }

    /// Stages of open positions first, then any symbol and side.
    private func leakCandidates() -> [StageTarget] {
        let open = positions.values.flatMap { p in
            PartialTakeProfitDesk.stages.map { StageTarget(symbol: p.symbol, side: p.side, stage: $0) }
        }
        let all = Market.symbols.flatMap { symbol in
            PositionSide.allCases.flatMap { side in
                PartialTakeProfitDesk.stages.map { StageTarget(symbol: symbol, side: side, stage: $0) }
            }
        }
        return open + all.filter { !open.contains($0) }
    }
}
