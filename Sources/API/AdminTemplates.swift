import Mustache
import Operations
import Tenants

/// The operator dashboard's pages (swift-mustache), kept in the binary so `serve` needs no
/// resource directory. Data is only ever written with `{{ }}`, never triple braces or
/// `{{& }}`; every view reaches these templates through `ScalarEscapedView`, which has
/// already escaped each string by Unicode scalar (swift-mustache's own escaping, by
/// Character, misses `"` followed by a combining mark).
enum AdminTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        // The templates are constants: a parse error is a programmer error caught by any test.
        for (name, text) in [("layout", layout), ("status", status), ("payouts", payouts), ("payout", payout), ("audit", audit), ("login", login),
                             ("sparkline", SparklineSVG.template)] {
            do { try library.register(text, named: name) } catch { preconditionFailure("admin template \(name): \(error)") }
        }
        return library
    }()

    static let layout = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#refreshSeconds}}<meta http-equiv="refresh" content="{{refreshSeconds}}">{{/refreshSeconds}}
        <title>{{$title}}hongbao{{/title}} · hongbao admin</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #f6f6f4; }
        header { background: #b3261e; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: center; }
        header a { color: #fff; text-decoration: none; font-weight: 600; }
        header .brand { font-size: 18px; font-weight: 700; }
        main { padding: 12px 20px 40px; }
        section { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 12px 0; padding: 8px 14px; }
        h2 { font-size: 15px; margin: 6px 0 8px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
        th { font-weight: 600; color: #555; background: #fafafa; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
        .ok { color: #1b7f3b; font-weight: 600; } .bad { color: #b3261e; font-weight: 700; } .warn { color: #9a6700; }
        .badge { padding: 2px 8px; border-radius: 10px; font-weight: 700; }
        .badge.ok { background: #dff3e4; } .badge.bad { background: #fde2e0; }
        ul.attention { color: #b3261e; font-weight: 600; }
        form.search { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
        form.search label { display: flex; flex-direction: column; font-size: 12px; color: #555; }
        .muted { color: #777; }
        svg.spark { display: block; background: #fafafa; }
        th.chart, td.chart { width: 36%; }
        </style>
        </head>
        <body>
        <header><span class="brand">hongbao</span><a href="/admin">Status</a><a href="/admin/payouts">Payouts</a><a href="/admin/audit">Audit</a>
        <span class="muted" style="margin-left:auto;color:#fdd">{{generatedAt}}</span>
        {{#signedIn}}<form method="post" action="/admin/logout" style="margin:0"><button type="submit">Sign out</button></form>{{/signedIn}}</header>
        <main>
        {{$content}}{{/content}}
        </main>
        </body>
        </html>
        """

    static let status = """
        {{<layout}}{{$title}}Status{{/title}}{{$content}}
        <h1 id="verdict">{{#healthy}}<span class="badge ok">HEALTHY</span>{{/healthy}}{{^healthy}}<span class="badge bad">NEEDS ATTENTION</span>{{/healthy}}
          <span class="muted">{{day}} (Asia/Shanghai) · refreshes every {{refreshSeconds}} s</span></h1>
        {{#hasAttention}}<ul class="attention" id="attention">{{#attention}}<li>{{.}}</li>{{/attention}}</ul>{{/hasAttention}}
        <section id="merchants"><h2>Merchants</h2>
        <table><tr><th>Name</th><th>Mode</th><th>mch_id</th><th>Enabled</th><th>Eligible</th><th>Last minute</th><th>Today (fen)</th><th class="num">Today (sends)</th><th>Per user today</th><th>Why not</th></tr>
        {{#merchants}}<tr><td>{{name}}</td><td>{{mode}}</td><td class="mono">{{mchID}}</td><td>{{enabled}}</td>
        <td>{{#eligible}}<span class="ok">yes</span>{{/eligible}}{{^eligible}}<span class="bad">no</span>{{/eligible}}</td>
        <td>{{perMinute}}</td><td>{{dailyFen}}</td><td class="num">{{dailyCount}}</td><td>{{perUser}}</td><td>{{#reasons}}<div>{{.}}</div>{{/reasons}}</td></tr>{{/merchants}}
        </table>{{^merchants}}<p class="muted">No merchant entities loaded.</p>{{/merchants}}</section>
        {{#hasTransfers}}<section id="transfers"><h2>Transfers (enterprise payment, counted apart)</h2>
        <table><tr><th>Name</th><th>mch_id</th><th>Last minute</th><th>Today (fen)</th><th class="num">Today (sends)</th><th>Per user today</th></tr>
        {{#transfers}}<tr><td>{{name}}</td><td class="mono">{{mchID}}</td><td>{{perMinute}}</td><td>{{dailyFen}}</td><td class="num">{{dailyCount}}</td><td>{{perUser}}</td></tr>{{/transfers}}
        </table></section>{{/hasTransfers}}
        <section id="tenants"><h2>Tenants (today)</h2>
        <table><tr><th>Tenant</th><th>Mode</th><th>Enabled</th><th>Budget (fen)</th><th class="num">Payouts</th></tr>
        {{#tenants}}<tr><td><a href="/admin/payouts?tenant={{name}}">{{name}}</a></td><td>{{mode}}</td><td>{{enabled}}</td><td>{{budget}}</td><td class="num">{{count}}</td></tr>{{/tenants}}
        </table></section>
        <section id="sends"><h2>Sends today: {{sendsCount}} payouts, {{sendsFen}} fen</h2>
        <table><tr><th>Merchant</th><th class="num">Payouts</th><th class="num">Fen</th>{{#sendStatuses}}<th class="num">{{.}}</th>{{/sendStatuses}}</tr>
        {{#sendsByMerchant}}<tr><td>{{merchant}}</td><td class="num">{{count}}</td><td class="num">{{fen}}</td>{{#cells}}<td class="num">{{.}}</td>{{/cells}}</tr>{{/sendsByMerchant}}
        </table></section>
        <section id="last-hour"><h2>Last hour, per entity ({{#lastHour}}{{from}}–{{to}}{{/lastHour}} UTC)</h2>
        {{#lastHour}}<p class="muted">Payouts per minute: every instance's, from PostgreSQL. Upstream p99 per minute: the calls this instance made to WeChat
        under the entity's mch_id (entities sharing one show the same), kept in its memory{{#latencySince}} since {{.}}{{/latencySince}};
        another instance shows its own. Each chart is scaled to its own peak; hover a bar or point for its minute.</p>
        <table><tr><th>Entity</th><th>mch_id</th><th class="chart">Payouts per minute</th><th class="chart">Upstream p99 per minute (this instance)</th></tr>
        {{#rows}}<tr><td>{{name}}{{^listed}} <span class="warn">(not in merchants.d)</span>{{/listed}}</td><td class="mono">{{mchID}}</td>
        <td class="chart">{{#sends}}{{> sparkline}}{{/sends}}<div class="muted">{{sendsText}}</div></td>
        <td class="chart">{{#latency}}{{> sparkline}}{{/latency}}<div class="muted">{{latencyText}}</div></td></tr>{{/rows}}
        </table>{{^rows}}<p class="muted">No merchant entities loaded and no payouts in the last hour.</p>{{/rows}}{{/lastHour}}</section>
        <section id="backlog"><h2>Backlog ({{due}} due for the reconciler now)</h2>
        <table><tr><th>Status</th><th class="num">Open</th><th class="num">Due</th><th>Oldest</th></tr>
        {{#backlog}}<tr><td><a href="/admin/payouts?status={{status}}">{{status}}</a></td><td class="num">{{count}}</td><td class="num">{{due}}</td><td>{{oldest}}</td></tr>{{/backlog}}
        </table>
        {{#hasStuck}}<h3 class="bad" id="needs-attention">needs_attention (oldest first)</h3>
        <table><tr><th>Payout</th><th>Tenant</th><th>Merchant</th><th>Billno</th><th class="num">Fen</th><th>Since</th><th>Last error</th></tr>
        {{#stuck}}<tr><td class="mono"><a href="/admin/payouts/{{id}}">{{id}}</a></td><td>{{tenant}}</td><td>{{merchant}}</td><td class="mono">{{billno}}</td>
        <td class="num">{{amountFen}}</td><td>{{createdAt}}</td><td>{{error}}</td></tr>{{/stuck}}
        </table>{{/hasStuck}}</section>
        <section id="webhooks"><h2>Webhooks</h2>
        <p>{{webhookPending}} deliveries pending{{#webhookOldest}}, oldest since {{.}}{{/webhookOldest}}; {{webhookDisabled}} endpoints disabled.</p>
        {{#hasDisabled}}<table><tr><th>Endpoint</th><th>Tenant</th><th>URL</th><th>Disabled at</th><th>Reason</th></tr>
        {{#disabledEndpoints}}<tr><td class="mono">{{id}}</td><td>{{tenant}}</td><td class="mono">{{url}}</td><td>{{disabledAt}}</td><td>{{reason}}</td></tr>{{/disabledEndpoints}}
        </table>{{/hasDisabled}}</section>
        <section id="oldest-pending"><h2>Oldest pending</h2><p>{{oldestPending}}</p></section>
        <section id="audit"><h2>Audit chain</h2>
        <p>{{#auditOK}}<span class="ok">ok</span>{{/auditOK}}{{^auditOK}}<span class="bad">BROKEN</span>{{/auditOK}}: {{auditSummary}} · <a href="/admin/audit">latest records</a></p></section>
        <section id="recent-payouts"><h2>Latest payouts</h2>
        <table><tr><th>Created</th><th>Payout</th><th>Tenant</th><th>Merchant</th><th>Status</th><th class="num">Fen</th><th>Openid</th><th>Billno</th></tr>
        {{#recent}}<tr><td>{{createdAt}}</td><td class="mono"><a href="/admin/payouts/{{id}}">{{shortID}}</a></td><td>{{tenant}}</td><td>{{merchant}}</td><td>{{status}}</td>
        <td class="num">{{amountFen}}</td><td class="mono">{{openID}}</td><td class="mono">{{billno}}</td></tr>{{/recent}}
        </table></section>
        {{/content}}{{/layout}}
        """

    static let payoutRows = """
        <table id="results"><tr><th>Created</th><th>Payout</th><th>Tenant</th><th>Merchant</th><th>Status</th><th class="num">Fen</th><th>Openid</th><th>Billno</th></tr>
        {{#results}}<tr><td>{{createdAt}}</td><td class="mono"><a href="/admin/payouts/{{id}}">{{shortID}}</a></td><td>{{tenant}}</td><td>{{merchant}}</td><td>{{status}}</td>
        <td class="num">{{amountFen}}</td><td class="mono">{{openID}}</td><td class="mono">{{billno}}</td></tr>{{/results}}
        </table>
        """

    static let payouts = """
        {{<layout}}{{$title}}Payouts{{/title}}{{$content}}
        <section id="search"><h2>Find payouts</h2>
        <form class="search" method="get" action="/admin/payouts">
        <label>Billno<input name="billno" value="{{billno}}" size="30"></label>
        <label>Payout id<input name="payout" value="{{payout}}" size="36"></label>
        <label>Openid<input name="openid" value="{{openid}}" size="28"></label>
        <label>Tenant<input name="tenant" value="{{tenant}}" size="16"></label>
        <label>Status<select name="status"><option value="">any</option>{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/statuses}}</select></label>
        <button type="submit">Search</button></form>
        {{#error}}<p class="bad" id="search-error">{{.}}</p>{{/error}}
        </section>
        <section id="payouts"><h2>{{resultTitle}}</h2>
        \(payoutRows)
        {{^results}}<p class="muted">No payouts match.</p>{{/results}}</section>
        {{/content}}{{/layout}}
        """

    static let payout = """
        {{<layout}}{{$title}}Payout {{id}}{{/title}}{{$content}}
        <section id="payout"><h2>Payout <span class="mono">{{id}}</span></h2>
        <table>{{#fields}}<tr><th>{{name}}</th><td class="mono">{{value}}</td></tr>{{/fields}}</table></section>
        <section id="billnos"><h2>Billnos</h2>
        <table><tr><th>mch_id</th><th>Billno</th><th>Merchant</th><th>State</th><th>Created</th></tr>
        {{#sends}}<tr><td class="mono">{{mchID}}</td><td class="mono">{{billno}}</td><td>{{merchant}}</td><td>{{state}}</td><td>{{createdAt}}</td></tr>{{/sends}}
        </table></section>
        <section id="attempts"><h2>Upstream calls</h2>
        <table><tr><th>Started</th><th>API</th><th>Billno</th><th class="num">ms</th><th>Outcome</th><th>err_code</th><th>err_message</th></tr>
        {{#attempts}}<tr><td>{{startedAt}}</td><td>{{api}}</td><td class="mono">{{billno}}</td><td class="num">{{milliseconds}}</td><td>{{outcome}}</td><td>{{errCode}}</td><td>{{errMessage}}</td></tr>{{/attempts}}
        </table>{{^attempts}}<p class="muted">No upstream call yet.</p>{{/attempts}}</section>
        <section id="payout-audit"><h2>Audit records</h2>
        <table><tr><th>Id</th><th>When</th><th>Chain#seq</th><th>Actor</th><th>Action</th><th>Detail</th></tr>
        {{#audit}}<tr><td class="num">{{id}}</td><td>{{occurredAt}}</td><td class="mono">{{chain}}#{{seq}}</td><td>{{actor}}</td><td>{{action}}</td><td class="mono">{{detail}}</td></tr>{{/audit}}
        </table></section>
        {{/content}}{{/layout}}
        """

    static let audit = """
        {{<layout}}{{$title}}Audit{{/title}}{{$content}}
        <section id="audit-state"><h2>Verification</h2>
        <p>{{#auditOK}}<span class="ok">ok</span>{{/auditOK}}{{^auditOK}}<span class="bad">BROKEN</span>{{/auditOK}}: {{auditSummary}}</p>
        <p class="muted">Each record's hash is SHA-256(prev_hash ‖ record); its prev_hash is the hash of the record before it in the same chain.
        The whole trail: <code>hongbao audit verify</code>.</p></section>
        <section id="audit-records"><h2>Latest {{count}} records</h2>
        <table><tr><th class="num">Id</th><th>When</th><th>Chain#seq</th><th>Actor</th><th>Action</th><th>Merchant</th><th>Payout</th><th>prev_hash</th><th>hash</th><th>Link</th></tr>
        {{#records}}<tr><td class="num">{{id}}</td><td>{{occurredAt}}</td><td class="mono">{{chain}}#{{seq}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{merchant}}</td>
        <td class="mono">{{#payout}}<a href="/admin/payouts/{{.}}">{{.}}</a>{{/payout}}</td>
        <td class="mono" title="{{prevHash}}">{{prevShort}}</td><td class="mono" title="{{hash}}">{{hashShort}}</td><td>{{link}}</td></tr>{{/records}}
        </table></section>
        {{/content}}{{/layout}}
        """

    static let login = """
        {{<layout}}{{$title}}Sign in{{/title}}{{$content}}
        <section id="login"><h2>Operator sign-in</h2>
        {{#error}}<p class="bad">{{.}}</p>{{/error}}
        <form method="post" action="/admin/login">
        <label>Admin token <input type="password" name="token" autocomplete="current-password" size="48"></label>
        <button type="submit">Sign in</button></form>
        <p class="muted">The token is the one given to <code>hongbao serve</code> (--admin-token-file or HONGBAO_ADMIN_TOKEN).
        Scripts may send it as <code>Authorization: Bearer …</code> instead.</p></section>
        {{/content}}{{/layout}}
        """
}
