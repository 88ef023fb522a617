import Mustache

/// The console's pages (swift-mustache; no external assets, no scripts). `layout` is every page's
/// parent; each page fills its `content` block. Values are HTML-escaped by `{{…}}`.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("layout", layout), ("login", login), ("overview", overview), ("institution", institution),
                             ("trace", trace), ("message", message)] {
            // The templates are constants of this file: one that does not parse is a programming error caught by the tests.
            try? library.register(text, named: name)
        }
        return library
    }()

    static let layout = """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} — yibao console</title>
    <style>
    body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
    header{background:#1d2330;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;gap:1em;align-items:center}
    header a{color:#fff}header form{margin-left:auto}
    main{padding:1em;max-width:72em;margin:auto}
    table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0 1.5em}
    th,td{border:1px solid #d5d9e0;padding:.3em .5em;text-align:left;vertical-align:top}
    th{background:#eef0f4}
    pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #d5d9e0;padding:.5em;margin:.2em 0}
    .refused{color:#a3161f;font-weight:600}.accepted{color:#176b2c}
    .box{background:#fff;border:1px solid #d5d9e0;padding:.7em 1em;margin:.5em 0 1.5em}
    form.inline{display:inline}button{cursor:pointer}
    @media (max-width:40em){table,thead,tbody,tr,th,td{display:block}th{display:none}td{border:0;border-bottom:1px solid #d5d9e0}}
    </style></head><body>
    <header><strong>yibao console</strong>{{#sandbox}}<span>sandbox {{sandbox}}</span>{{/sandbox}}
    {{#signedIn}}<a href="{{base}}/console">Overview</a><a href="{{base}}/console/trace">Trace</a>
    <form method="post" action="{{base}}/console/logout"><input type="hidden" name="form" value="{{form}}"><button>Sign out</button></form>{{/signedIn}}
    </header>
    <main>
    {{$content}}{{/content}}
    </main></body></html>
    """

    static let login = """
    {{<layout}}{{$content}}
    <h1>Sign in</h1>
    {{#error}}<p class="refused" id="error">{{error}}</p>{{/error}}
    <form method="post" action="{{base}}/console/login" class="box">
    <p><label for="token">Admin token</label><br><input id="token" name="token" type="password" autocomplete="off" size="40"></p>
    <p><button type="submit" id="sign-in">Sign in</button></p>
    </form>
    <p>The admin token is the gateway's (<code>adminToken</code> in certs/demo-credentials.json for the dev gateway).</p>
    {{/content}}{{/layout}}
    """

    static let overview = """
    {{<layout}}{{$content}}
    <h1>Overview</h1>
    <section class="box" id="clock"><h2>Clock</h2>
    <p>Now: <strong id="now">{{now}}</strong>{{#testClock}} (test clock){{/testClock}}</p>
    {{#testClock}}<form method="post" action="{{base}}/console/clock/advance"><input type="hidden" name="form" value="{{form}}">
    <label for="seconds">Advance by (seconds)</label> <input id="seconds" name="seconds" value="86400" size="10"> <button id="advance">Advance</button></form>{{/testClock}}
    {{^testClock}}<p>This gateway runs on the real clock (a sandbox, or <code>yibao serve --test-clock</code>, has a test clock).</p>{{/testClock}}
    </section>
    <h2>Institutions</h2>
    <table><thead><tr><th>code</th><th>name</th><th>kind</th><th>dialect profile</th><th>entity agreement</th><th>Internet+ agreement</th><th>requests seen</th></tr></thead><tbody>
    {{#institutions}}<tr><td><a href="{{base}}/console/institutions/{{code}}">{{code}}</a></td><td>{{name}}</td><td>{{kind}}</td><td>{{profile}}</td><td>{{entity}}</td><td>{{internetPlus}}</td><td>{{requests}}</td></tr>{{/institutions}}
    </tbody></table>
    {{#hasSandboxes}}<h2>Sandboxes</h2><table><thead><tr><th>id</th><th>label</th><th>created</th></tr></thead><tbody>
    {{#sandboxes}}<tr><td><a href="/sandboxes/{{id}}/console">{{id}}</a></td><td>{{label}}</td><td>{{createdAt}}</td></tr>{{/sandboxes}}
    </tbody></table>{{/hasSandboxes}}
    <h2>Filings</h2>
    <table><thead><tr><th>filing</th><th>person</th><th>kind</th><th>from → to</th><th>status</th><th>extra institutions</th></tr></thead><tbody>
    {{#filings}}<tr><td>{{id}}</td><td>{{person}}</td><td>{{kind}}</td><td>{{period}}</td><td>{{status}}</td><td>{{extra}}</td></tr>{{/filings}}
    {{^filings}}<tr><td colspan="6">No filings.</td></tr>{{/filings}}
    </tbody></table>
    {{/content}}{{/layout}}
    """

    static let institution = """
    {{<layout}}{{$content}}
    <h1>{{name}} <small>{{code}}</small></h1>
    <p>Dialect profile <strong>{{profile}}</strong> · entity agreement {{entity}} · Internet+ agreement {{internetPlus}}</p>
    {{#notice}}<p class="box" id="notice">{{notice}}</p>{{/notice}}
    <section class="box" id="verdict"><h2>Passive conformance: {{verdict}}</h2>
    <p>Required transactions passed {{passedRequired}} of {{totalRequired}}; failing {{failingRequired}}.</p>
    {{#failingTransactions}}<p class="refused">✗ {{.}}</p>{{/failingTransactions}}
    </section>
    <h2 id="traffic">Traffic ({{shown}} latest of {{total}}{{#onlyRefused}}, refusals only{{/onlyRefused}})</h2>
    <p>{{#onlyRefused}}<a href="{{base}}/console/institutions/{{code}}">show all</a>{{/onlyRefused}}{{^onlyRefused}}<a href="{{base}}/console/institutions/{{code}}?only=refused">refusals only</a>{{/onlyRefused}}</p>
    <table><thead><tr><th>time</th><th>request</th><th>outcome</th><th>what the gateway said</th></tr></thead><tbody>
    {{#traffic}}<tr class="check"><td>{{at}}</td><td>{{channel}} {{transaction}}<br><small>{{messageId}}</small></td>
    <td class="{{outcome}}">{{code}}</td>
    <td>{{#rule}}rule <strong>{{rule}}</strong> · {{/rule}}{{#pointer}}pointer <code>{{pointer}}</code>{{/pointer}}
    {{#detail}}<pre>{{detail}}</pre>{{/detail}}{{#expected}}<pre>expected: {{expected}}</pre>{{/expected}}{{#actual}}<pre>actual: {{actual}}</pre>{{/actual}}
    {{#diagnosis}}<pre class="diagnosis">· {{.}}</pre>{{/diagnosis}}
    {{#sealed}}<details><summary>sealed encData</summary><pre>{{sealed}}</pre></details>{{/sealed}}
    {{#opened}}<details open><summary>decrypted (personal data masked)</summary><pre class="opened">{{opened}}</pre></details>{{/opened}}</td></tr>{{/traffic}}
    {{^traffic}}<tr><td colspan="4">No requests seen from this institution yet.</td></tr>{{/traffic}}
    </tbody></table>
    <h2 id="orders">Payment orders</h2>
    <table><thead><tr><th>order</th><th>status</th><th>amounts (fund / account / cash)</th><th>callbacks</th><th></th></tr></thead><tbody>
    {{#orders}}<tr><td>{{payOrdId}}<br><small>{{medOrgOrd}} · {{createdAt}}</small></td><td>{{status}}</td><td>{{amounts}}</td>
    <td>{{#callbacks}}<div class="callback">{{state}} · {{attempts}} attempt(s) · {{createdAt}}{{#log}}<br><small>{{.}}</small>{{/log}}</div>{{/callbacks}}{{^callbacks}}none{{/callbacks}}</td>
    <td><form class="inline" method="post" action="{{base}}/console/orders/{{payOrdId}}/resend"><input type="hidden" name="form" value="{{form}}"><button name="resend">Resend callback</button></form>
    <form class="inline" method="post" action="{{base}}/console/orders/{{payOrdId}}/trigger"><input type="hidden" name="form" value="{{form}}"><button name="trigger">Trigger callback</button></form></td></tr>{{/orders}}
    {{^orders}}<tr><td colspan="5">No payment orders.</td></tr>{{/orders}}
    </tbody></table>
    <h2 id="receipts">Receipts</h2>
    <table><thead><tr><th>kind</th><th>number</th><th>check code</th><th>amount</th><th>issued</th><th>settlement</th></tr></thead><tbody>
    {{#receipts}}<tr><td>{{kind}}</td><td>{{number}}</td><td>{{checkCode}}</td><td>{{amount}}</td><td>{{issuedAt}}</td><td>{{settlement}}<br><small>{{via}}</small></td></tr>{{/receipts}}
    {{^receipts}}<tr><td colspan="6">No receipts yet: each settlement yields one (PY-11).</td></tr>{{/receipts}}
    </tbody></table>
    <h2 id="prescriptions">Prescriptions</h2>
    <table><thead><tr><th>hiRxno</th><th>hospital number</th><th>stage</th><th>prescribed</th><th>dispensed</th></tr></thead><tbody>
    {{#prescriptions}}<tr><td>{{hiRxno}}</td><td>{{hospRxno}}</td><td>{{stage}}</td><td>{{at}}</td><td>{{dispensed}}</td></tr>{{/prescriptions}}
    {{^prescriptions}}<tr><td colspan="5">No prescriptions.</td></tr>{{/prescriptions}}
    </tbody></table>
    {{/content}}{{/layout}}
    """

    static let trace = """
    {{<layout}}{{$content}}
    <h1>Trace</h1>
    <form method="post" action="{{base}}/console/trace/verify" class="box"><input type="hidden" name="form" value="{{form}}">
    <button id="verify">Verify the whole chain</button></form>
    {{#verified}}<section class="box" id="verification"><h2 class="{{#intact}}accepted{{/intact}}{{^intact}}refused{{/intact}}">{{verdict}}</h2>
    <p>{{entries}} entries{{#head}}; head #{{head}}{{/head}}.</p>{{#problems}}<pre class="refused">{{.}}</pre>{{/problems}}</section>{{/verified}}
    <h2>Latest entries</h2>
    <table><thead><tr><th>#</th><th>time</th><th>kind</th><th>actor</th><th>subject</th><th>outcome</th></tr></thead><tbody>
    {{#entries_}}<tr><td>{{seq}}</td><td>{{at}}</td><td>{{kind}}</td><td>{{actor}}</td><td>{{subject}}</td><td>{{outcome}}</td></tr>{{/entries_}}
    </tbody></table>
    {{/content}}{{/layout}}
    """

    static let message = """
    {{<layout}}{{$content}}
    <h1>{{heading}}</h1>
    <section class="box" id="problem"><p class="refused">{{code}}{{#rule}} · rule {{rule}}{{/rule}}</p><p>{{detail}}</p></section>
    <p><a href="{{base}}/console">Back to the overview</a></p>
    {{/content}}{{/layout}}
    """
}
