import Foundation
import OTel
import ServiceLifecycle

/// OpenTelemetry tracing for `serve`: off unless OTEL_EXPORTER_OTLP_ENDPOINT or
/// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names a collector. Then the spans — the API request
/// (Hummingbird's TracingMiddleware), and inside it each WeChat call (`WeChatPayClient`) —
/// go there over OTLP/HTTP (protobuf), batched in the background. The other OTEL_*
/// variables (OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER, OTEL_BSP_SCHEDULE_DELAY, …) apply as
/// the OpenTelemetry spec says. Logs and metrics stay ours (JSON lines, /metrics).
enum TracingBootstrap {
    static func service(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (any Service)? {
        guard environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "hongbao"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        return try OTel.bootstrap(configuration: configuration, environment: environment)
    }
}
