import type { DeliveryPolicy, SignatureConfig } from '../model.js';

/**
 * When a preset mails and deactivates, as data (evaluated by src/alerts/). Every preset also
 * deactivates on 410 and mails about it (policy.on_410). Durations are divided by
 * HERALD_CLOCK_SCALE when evaluated. See docs/alerts.md for the reading of each seed sentence.
 */
export type AlertRule =
  /** Seed 000: warning, second warning, then deactivation, each gated by `window_ms` without success. */
  | { rule: 'failure-ladder'; window_ms: number }
  /** Seed 004: mail at these error counts of each (server) day; deactivate after `errors` consecutive errors spanning `span_ms`. */
  | { rule: 'daily-errors'; mail_at: number[]; deactivate_after: { errors: number; span_ms: number } }
  /** Svix-like: deactivate once failures with no success between have gone on for `span_ms`; mail then. */
  | { rule: 'failing-days'; span_ms: number }
  /** Nothing besides 410. */
  | { rule: 'none' };
export type AlertRuleName = AlertRule['rule'];

/**
 * Presets are plain data: a signature scheme plus a delivery policy that reproduces one
 * seed system. A webhook's own policy fields override its preset's.
 */
export interface Preset {
  name: PresetName;
  description: string;
  signature: SignatureConfig;
  policy: DeliveryPolicy;
  payload_mode: 'envelope' | 'raw';
  /** Alert mail and deactivation (docs/alerts.md). */
  alerts: AlertRule;
  /** The seed sentences this preset implements, quoted, with the setting that does it. */
  sources: { seed: string; sentence: string; setting: string }[];
}

export const PRESET_NAMES = ['standard', 'salesiq', 'smarterbot', 'dialog-insight'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

type Source = Preset['sources'][number];

/** One seed's rows: [sentence quoted from the seed (… marks an elision), the setting or API that implements it]. */
const from = (seed: string, rows: readonly (readonly [string, string])[]): Source[] => rows.map(([sentence, setting]) => ({ seed, sentence, setting }));

/** `standard` reproduces no seed: it follows DESIGN.md's policy table and the Standard Webhooks 1.0.0 specification. */
const STANDARD_SOURCES: Source[] = [
  ...from('DESIGN.md', [
    ['`standard` (default) … Standard Webhooks v1 HMAC (or v1a Ed25519)', 'the preset when none is named; signature.scheme standard (webhook-signature: v1,base64), or standard-ed25519 for v1a'],
    ['`standard` (default) … 15 s', 'timeout_ms: 15000'],
    ['5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h', 'retry_schedule: 5s, 5m, 30m, 2h, 5h, 10h, 10h (retry_jitter 0.2)'],
    ['any 2xx', 'success.status: ["2xx"]'],
    ['410 deactivates; deactivate after 5 days of nothing but failures; email on deactivation', 'on_410: deactivate; alerts: failing-days 5d (state_reason failing_5_days), mail on deactivation only'],
  ]),
  ...from('Standard Webhooks', [
    ['The content to be signed is therefore: `{msg_id}.{timestamp}.{payload}`.', 'signature.scheme standard: HMAC-SHA256 over webhook-id.webhook-timestamp.body'],
    ["Note: while it's OK (and recommended) to minimize the JSON body when serialized for sending, it's important to make sure that the payload sent is the same as the payload signed.", 'the body is compact JSON as JSON.stringify writes it; the bytes signed are the bytes sent'],
    ['Random. At least 24 bytes (192 bits, 512 maximum)', 'each key: whsec_ + base64 of 24 random bytes, shown once, sealed at rest'],
    ['Symmetric signatures are prefixed with `v1` and asymmetric with `v1a`.', 'standard signs v1,base64; signature.scheme standard-ed25519 signs v1a,base64 with a whpk_ public key'],
    ['Signing keys should be unique per endpoint for symmetric signatures, and unique per endpoint (or potentially customer) for asymmetric signatures.', 'every webhook key is generated at random for that webhook (POST …/webhooks/{id}/keys)'],
    ['All of the headers should be prefixed with `webhook-` and follow the exact naming as below.', 'headers webhook-id, webhook-timestamp, webhook-signature; another header name is refused (HERALD_SIGNATURE_INVALID)'],
    ['The signature header is a space delimited list of signatures associated with this webhook.', 'with two keys both sign: v1,… v1,… space-separated (rotation without a gap)'],
    ['The unique identifier is a unique identifier associated with a specific event triggered, and it remains the same no matter how many times a webhook that has failed is retried.', 'webhook-id is the delivery id: the same on every attempt, resend and recovery'],
    ['Every time an attempt is retried the timestamp of the attempt is updated, while the timestamp of the original event remains the same.', 'webhook-timestamp is signed afresh per attempt; event_time in the envelope stays'],
    ["It's recommended to also add some level of random jitter to retries to prevent cases where the failures are due to recurring load caused by the webhook attempts themselves.", 'retry_jitter: 0.2 (each delay ±20 %)'],
    ['In that scenario it is important to both: notify the consumers using other channels (e.g. email), and is recommended to disable future delivery to the endpoint.', 'alerts: failing-days 5d: deactivate and mail the org owner, alert_emails, creator and modifier'],
    ['A webhook delivery is considered successful if it was responded to with a `2xx` status code (status codes 200-299), and it is considered a failure in any other scenario.', 'success.status ["2xx"]; timeouts, resets and other statuses are failed attempts'],
    ["`3xx`: Failure. Following redirects causes unnecessary load on both the sender and the receiver, it's therefore recommended to update the webhook URL instead.", 'redirects are never followed: a 3xx is a failed attempt (error_code redirect)'],
    ["`410 Gone`: This is an indication by the server that it's no longer interested in receiving webhooks from this source. Sender should disable the webhook endpoint, and stop sending it messages.", 'on_410: deactivate (state_reason gone_410)'],
    ['Additionally, some responses may also include a `Retry-After` header (e.g. `503 Service Unavailable`), which should be taken into consideration when scheduling the next attempt.', 'Retry-After of a 429 or 503 is honoured within [scheduled delay, 2 × scheduled delay]'],
    ['A recommended request timeout value for webhooks is somewhere between 15 and 30s.', 'timeout_ms: 15000; policy.timeout_ms overrides up to 30000'],
    ['The main way to protect against SSRF is to prevent the webhooks from calling into internal networks and services.', 'private, loopback, link-local and metadata addresses refused on save and at connect time (docs/outbound-safety.md)'],
    ['It is also recommended to let webhook consumers choose which event types they would like to receive for which endpoints, and do the filtering on the producing end.', 'events: [...] and filter (docs/rules.md), applied at fan-out'],
    ["It's therefore recommended to enable customers to add multiple webhook endpoints so that they can receive the same webhook to multiple destinations.", 'every subscribed webhook of the org gets its own delivery of an event'],
    ["Additionally, it's immensely important to give consumers a way to manually replay specific webhooks or failures within a range in order to recover from long outages without missing message delivery.", 'POST …/deliveries/{id}/retry and POST …/webhooks/{id}/recover {"since", "until"}'],
    ['Having an API to add, remove, and list webhook endpoints enables both webhook consumers and third party developers to build automation on top of webhooks.', 'REST API /api/v1/orgs/{org}/webhooks (OpenAPI at /openapi.json)'],
    ["It's recommended to provide examples of the payload structure for each of the event types, as well as a formal specification of the structure (such as JSON Schema or OpenAPI).", 'event types carry a JSON Schema and an example: GET /api/v1/event-types/{name}/example'],
    ['Make sure to verify the `webhook-timestamp` header has a timestamp that is within some allowable tolerance of the current timestamp to prevent replay attacks.', '@herald/receiver: toleranceSeconds, 300 by default'],
    ['Depending on the content of the webhooks being sent, it may be advisable to ensure that all webhook endpoints are HTTPS.', 'org setting url_rules.https_only (off unless set)'],
  ]),
];

/** Seeds 000 (bot form controller webhooks), 001 (workflow webhooks) and 002 (REST API webhooks). */
const SALESIQ_SOURCES: Source[] = [
  ...from('000', [
    ['The Webhooks configuration window appears. Provide the URL to be invoked for creating a connection.', 'POST /api/v1/orgs/{org}/webhooks {"url", "preset": "salesiq"}; dashboard: Create webhook'],
    ['The "https" URL is recommended for security reasons.', 'org setting url_rules.https_only (off unless set); the dashboard flags plain http'],
    ['Our server can not connect with the URL with the port number.', 'org setting url_rules.forbid_explicit_port (off unless set): 422 HERALD_URL_NOT_ALLOWED'],
    ['Make sure the URL can be accessed in public API clients such as Postman and Talend API Tester to be accessible in our server.', 'the URL must resolve to public addresses only, checked on save and at connect time (HERALD_ALLOW_PRIVATE_URLS for development)'],
    ['Once the URL is provided, it will be pinged to get validated with the read time out of 5 seconds.', 'URL validation on create and on URL change: a POST with a 5 s deadline (org setting validate_urls, default true)'],
    ['If it is not reached within 5 seconds, an HTTP HEAD request gets triggered to the URL to check the status code 200.', 'URL validation fallback: a HEAD that must answer 200, else 422 HERALD_URL_UNREACHABLE'],
    ['Ensure the webhook returns the response within 10 seconds. If not, the bot will not work.', 'POST …/webhooks/{id}/call: synchronous call answering the endpoint\'s response, 10 s deadline'],
    ['Furthermore, generate a public key to secure your webhook.', 'an RSA key pair is generated on create (answered under key); POST …/webhooks/{id}/keys adds one'],
    ['You can preview your widget before you publish it in the Widget Preview window.', '"published": false creates a draft that takes test sends and trial runs only'],
    ['Once you are done, click Publish.', 'PATCH …/webhooks/{id} {"published": true}; dashboard: Publish'],
    ['You can also edit the URL if required.', 'PATCH …/webhooks/{id} {"url"} (validated again)'],
    ['You can enable the Secure your webhook option to verify the data with a key pair validation.', 'secured: true (the default; false sends no signature)'],
    ['That is, if this option is enabled then while executing the Webhook we will create a signature for the payload data with the private key.', 'signature.scheme rsa-sha256: every attempt is signed with the private key of the key in use'],
    ['The signature will be sent to the webhook server in the header name "x-siqsignature".', 'signature.header: x-siqsignature'],
    ["The Webhook server should get the signature from the 'x-siqsignature' header, and verify it with the payload data received in their end and the public key using the same RSA Cryptosystem.", '@herald/receiver verify with scheme rsa-sha256 and the public key; openssl dgst -sha256 -verify (docs/signatures.md)'],
    ['If the verification fails, they can ensure that the data is tampered or not sent from SalesIQ.', 'the signature covers the exact body bytes sent; @herald/receiver rejects a mismatch (its helpers answer 401)'],
    ['SalesIQ signs every webhook event passed on to the endpoint URL using RSA Cryptosystem.', 'signature.scheme: rsa-sha256 (RSASSA-PKCS1-v1_5, 2048-bit keys)'],
    ['The generated Public key can be copied and saved in the endpoint server, which can later be used to check the authenticity of the data received with the signature attached.', 'GET …/webhooks/{id}/keys: public_key (SPKI PEM) and public_key_xml; dashboard Keys tab with copy buttons'],
    ['We will generate a public and a private key pair.', 'each key is a fresh RSA 2048 key pair; the private key is sealed at rest (AES-256-GCM)'],
    ['Public Key: We display the public key in the UI, and the private key is hidden.', 'keys answer public_key and public_key_xml only; the private key never leaves the store'],
    ['The webhook server will store the public key.', 'the receiver keeps public_key (PEM) or public_key_xml and verifies with it'],
    ['This process ensures two layer security, they are: … To ensure that the data is sent from the SalesIQ Server … The data sent is not tampered.', 'rsa-sha256 over the exact body bytes: only the holder of the private key can sign, any change breaks the signature'],
    ['A maximum of two public keys is allowed for a Webhook.', 'at most 2 keys per webhook: a third POST …/keys answers HERALD_KEY_LIMIT'],
    ['If only one public key is available, the delete option will not appear.', 'deleting the last key answers HERALD_KEY_LAST; the dashboard disables its Delete and says why'],
    ['The Oldest key will be used during execution, the key used will be indicated by the [In use] label.', 'rsa-sha256 signs with the oldest key; GET …/keys answers in_use; dashboard badge In use'],
    ['When the webhook continuously fails under the below instances, SalesIQ will send an email alert to both the bot creator/modifier and the portal owner.', 'alert mail to the org owner, the creator and last modifier (API key email or portal user), and alert_emails'],
    ['No emails will be triggered for the first failure.', 'alerts: failure-ladder'],
    ['The first warning email will be sent after the second failure, with no success within the past hour.', 'alerts: failure-ladder, window 1h (warning 1)'],
    ['The second warning/alert will be sent following the third failure, with no success within an hour of the first warning email.', 'alerts: failure-ladder, window 1h (warning 2)'],
    ['Upon the fourth failure, with no success within an hour since the second warning email, the bot will be disabled, and a third warning/alert email will be sent.', 'alerts: failure-ladder, window 1h (deactivation, state_reason failure_ladder)'],
    ['If the webhook returns a 410 error at any time, it will be instantly deactivated, and a warning/alert email will be sent.', 'on_410: deactivate (state_reason gone_410, mail on deactivation)'],
  ]),
  ...from('001', [
    ['Webhooks let you send real-time event data to external systems.', 'delivery.mode immediate (the default): the first attempt is due as soon as the event is committed'],
    ['Instead of polling an API repeatedly to check if something happened, the server (SalesIQ) sends a POST request to your specified URL as soon as the event occurs and rules match.', 'POST /api/v1/orgs/{org}/events fans out at once to every subscribed webhook whose filter matches; one POST per delivery'],
    ['Real-time notifications', 'workers are woken when an event is committed (timers and store notifications, no polling interval)'],
    ['No polling required', 'Herald POSTs each event to the webhook URL'],
    ['…If a chat is rated sad, a webhook can notify your support team …', 'filter: event == "conversation.rated" and entity.rating <= 2 (docs/rules.md)'],
    ['You can manage webhooks through the SalesIQ REST API.', 'REST API /api/v1/orgs/{org}/webhooks: POST, GET, PATCH, DELETE (OpenAPI at /openapi.json)'],
    ['Every webhook event triggered by SalesIQ is signed using the RSA Cryptosystem to ensure the integrity and authenticity of the payload.', 'signature.scheme: rsa-sha256 over the exact body bytes'],
    ['Algorithm: SHA256 with RSA', 'RSASSA-PKCS1-v1_5 with SHA-256'],
    ['Encoding: Base64', 'the header value is the signature in standard base64'],
    ['Charset: UTF-8', 'the body is signed and sent as UTF-8 bytes (content-type: application/json)'],
    ['Header: "x-siqsignature"', 'signature: rsa-sha256, header x-siqsignature'],
    ['This signature allows your server to verify that the data received genuinely came from SalesIQ.', '@herald/receiver: heraldExpress or verify with scheme rsa-sha256 and the public key'],
    ['SalesIQ generates a public/private key pair.', 'creating the webhook generates its first RSA key pair (answered under key)'],
    ['You store the public key on your server.', 'key.public_key in the create answer and in GET …/webhooks/{id}/keys'],
    ['Extract the x-siqsignature from the headers … Use the public key to verify the signature against the payload … If valid, you can trust the data source.', '@herald/receiver reads x-siqsignature and verifies the raw body with the public key (docs/signatures.md for Python and openssl)'],
    ['x-siqsignature: $signature', 'header x-siqsignature carries the base64 signature alone'],
    ['Generate Public Key … /api/v2/{screenname}/webhooks/{id}/keys … POST … SalesIQ.webhooks.CREATE', 'POST /api/v1/orgs/{org}/webhooks/{id}/keys (scope keys:write)'],
    ['Delete Public Key … /api/v2/{screenname}/webhooks/{id}/keys/{keyid} … DELETE … SalesIQ.webhooks.DELETE', 'DELETE /api/v1/orgs/{org}/webhooks/{id}/keys/{keyId} (scope keys:write)'],
    ['To enable webhook security, you must set the secured flag to true when creating the webhook.', 'secured: true, also Herald\'s default ("secured": false sends unsigned requests)'],
    ['"webhook": { "url": "https://your-endpoint.com", "secured": true }, "published": true', 'POST …/webhooks accepts {"webhook": {"url", "secured"}, "published"} as is'],
    ['This setup ensures that SalesIQ signs the data and your system validates it before processing.', 'secured webhooks sign every attempt, test send, trial run and call'],
    ['Auto-retry count: 3 attempts, retried every 1 minute.', 'retry_schedule: 1m, 1m, 1m'],
    ['Timeout per webhook execution: 5 seconds.', 'timeout_ms: 5000'],
    ['Error log retention period: 60 days.', 'org setting retention_days (default 60): attempts and delivery logs purged after it'],
    ['Once the webhook setup is completed, click on Create. You will be redirected to the summary/preview page, where all workflow details are displayed.', 'dashboard: Create webhook opens the webhook page (settings and policy in words); GET …/webhooks/{id}'],
    ['A list of events configured in your workflow will be displayed automatically.', 'dashboard webhook page, Example, test and trial: one row per event type the webhook takes'],
    ['Select the event you want to test.', 'POST …/webhooks/{id}/trial {"event"}; dashboard: Trial on that event\'s row'],
    ['A sample payload will be generated based on the selected event.', 'without "entity" the event type\'s example is used (GET /api/v1/event-types/{name}/example)'],
    ['Click Edit to modify the payload values with data relevant to your portal.', 'trial "entity": the edited payload; the dashboard opens the example in an editor'],
    ['Click Run to execute the workflow.', 'POST …/webhooks/{id}/trial runs it now; dashboard: Run trial'],
    ['The execution status will be displayed in the header.', 'the trial answers succeeded, request, response, error and duration_ms; the dashboard shows Succeeded or Failed above the exchange'],
    ['Trial run executions are not recorded in workflow logs.', 'trial: logged false, delivery_id null; nothing written, not counted in health or alerts'],
    ['Trial runs execute the workflow in real time, and any configured actions or data updates will take effect.', 'a trial is a real signed POST to the endpoint, whatever the webhook\'s state or filter'],
    ['Changes made to the payload directly affect the execution, so ensure the values are accurate.', 'the edited entity is sent as given, in the envelope, without a schema check'],
  ]),
  ...from('002', [
    ['…the server-side application calls the client-side application (by invoking a client provided webhook URL) anytime the server-side has something new to report to the client.', 'POST /api/v1/orgs/{org}/events: each event is delivered to the org\'s subscribed webhooks'],
    ['With webhooks, you can get push notifications when certain events happen on the server.', 'events: [...] names the event types a webhook receives ("*" for all)'],
    ['You can just ‘subscribe’ to an event with webhooks.', 'events on create or PATCH …/webhooks/{id}'],
    ['You can configure them to automatically notify you when a customer has taken a particular action, such as initiating or replying to a conversation.', 'events: conversation.created, conversation.visitor.replied, … (catalogue salesiq)'],
    ['You can create and manage the webhooks with the REST API …', 'REST API /api/v1/orgs/{org}/webhooks (OpenAPI at /openapi.json)'],
    ['We use SHA256 with RSA as the signature algorithm.', 'signature.scheme: rsa-sha256'],
    ['The signature is Base64 encoded', 'the header value is standard base64'],
    ['The charset used is UTF-8', 'the body is signed as UTF-8 bytes'],
    ['To generate the public key use the following API: … API: /api/v2/{screenname}/webhooks/{id}/keys … METHOD : POST … Scope: SalesIQ.webhooks.CREATE', 'POST /api/v1/orgs/{org}/webhooks/{id}/keys (scope keys:write)'],
    ['To delete the public key use the following API: … API: /api/v2/{screenname}/webhooks/{id}/keys/{keyid} … METHOD : DELETE … Scope: SalesIQ.webhooks.DELETE', 'DELETE /api/v1/orgs/{org}/webhooks/{id}/keys/{keyId} (scope keys:write)'],
    ['The trusted source validation is to secure the Webhooks, i.e., for you (integration services) to verify the data sent is from SalesIQ services by getting the public key in the API response and validating the signature available in the x-siqsignature request headers for that data.', 'key.public_key in the create answer and GET …/keys; the signature in x-siqsignature'],
    ['If the signature is valid, then the source can be trusted.', '@herald/receiver verify (rsa-sha256)'],
    ['If you wish to set up a secure callback, then create the webhook and set the secure as true ("secured:true".)', 'secured: true (the default)'],
    ['Maximum Admin webhooks allowed per portal is 3', 'org settings max_webhooks: 3 with max_webhooks_counts: "salesiq" (unlimited unless set): HERALD_WEBHOOK_QUOTA'],
    ['Maximum auto retry count for a webhook is 3', 'retry_schedule has 3 entries'],
    ['Auto retry occur after a minute', 'retry_schedule: 1m, 1m, 1m (no jitter)'],
    ['Timeout per execution is 5 seconds', 'timeout_ms: 5000'],
    ['Default error log retention period is 60 days', 'org setting retention_days, default 60'],
    ['The webhook is invoked when the event you\'ve subscribed occur in SalesIQ.', 'fan-out to webhooks whose events include the type (or "*")'],
    ['version - The version of the webhook payload.', 'payload envelope: "version": "1"'],
    ['event - The event notified.', 'payload envelope: "event"'],
    ['event_time - The time at which the event happened', 'payload envelope: "event_time" in ms (ingest event_time, default now)'],
    ['org_id - Your SalesIQ portal ID', 'payload envelope: "org_id" (the org)'],
    ['app_id - Your embed ID, available only for data events', 'payload envelope: "app_id" only when the event has one; data events must'],
    ['attempt - The number of attempts made to notify an event through webhook', 'payload envelope: "attempt" 1, 2, … (each attempt re-signed)'],
    ['entity - The entity of the event occurred', 'payload envelope: "entity", byte for byte as ingested'],
    ['entity_type - The type of the entity (ex: Bot, department, operator)', 'payload envelope: "entity_type" (ingest entity_type, default the event\'s module)'],
    ['entity_id - Unique id of the entity. For ex, conversation id in case of conversation.* events', 'payload envelope: "entity_id" (ingest entity_id, default entity.id)'],
    ['modified_fields - List of properties modified', 'payload envelope: "modified_fields" (ingest modified_fields, default [])'],
    ['The payload should be received in the below format.', 'payload: envelope (this preset\'s default), compact JSON'],
    ['There are two different types of event in the Webhooks: Data and administration.', 'event type kind: data (carries app_id) or admin (org-wide)'],
    ['You can subscribe to this event if you wish to be notified when a visitor initiates a chat.', 'catalogue salesiq: conversation.created (data)'],
    ['You can subscribe to this event if you wish to be notified when operators pick up a chat.', 'catalogue salesiq: conversation.attender.updated (data)'],
    ['You can subscribe to this event if you wish to be notified when a chat initiated by the visitor is not picked by any operator and missed.', 'catalogue salesiq: conversation.missed (data)'],
    ['You can subscribe to this event if you wish to be notified when an operator replies to the chat initiated by the visitor.', 'catalogue salesiq: conversation.operator.replied (data)'],
    ['You can subscribe to this event if you wish to be notified when a visitor replies.', 'catalogue salesiq: conversation.visitor.replied (data)'],
    ['You can subscribe to this event if you wish to be notified when a chat conversation ends.', 'catalogue salesiq: conversation.completed (data)'],
    ['You can subscribe to this event if you wish to be notified when the visitor rate or provide feedback for the chat conversation they had with the operator.', 'catalogue salesiq: conversation.rated (data, both payloads in schema.examples)'],
    ['The departments is an administration event, you can subscribe to the event and get notified when a new department is created, updated or deleted.', 'catalogue salesiq: department.created, department.updated, department.deleted (admin)'],
    ['You can subscribe to this event if you wish to notify whenever a new department is created inside the portal.', 'catalogue salesiq: department.created (admin)'],
    ['You can subscribe to this event if you wish to get notified when a department is deleted in the portal.', 'catalogue salesiq: department.deleted (admin, no entity: the envelope omits it)'],
    ['You can subscribe to this event if you wish to get notified when a details in the department is updated.', 'catalogue salesiq: department.updated (admin)'],
    ['The Operators are an administration event, you can subscribe to this and get notified when an operator event is performed.', 'catalogue salesiq: operator.* (admin)'],
    ['operator.departments.associated … operator.departments.dissociated', 'catalogue salesiq: operator.departments.associated, operator.departments.dissociated (admin)'],
    ['You can subscribe to this event if you wish to get notified whenever a new operator is added to your organization.', 'catalogue salesiq: operator.created (admin)'],
    ["You can subscribe to this event if you wish to be notified whenever an operator's setting is modified.", 'catalogue salesiq: operator.updated (admin)'],
    ['You can subscribe to this event if you wish to be notified when an operator is removed.', 'catalogue salesiq: operator.deleted (admin, no entity)'],
    ['The Visitors are data event, you can subscribe to this and get notified when a visitor event is performed.', 'catalogue salesiq: visitor.updated (data)'],
    ['You can subscribe to this event if you wish to be notified when a piece of visitor information is updated.', 'catalogue salesiq: visitor.updated (data)'],
    ['Case 1: You will receive this payload when lead information is updated. … Case 2: You will receive this payload when contact information is added to a lead … Case 3: You will receive this payload when a contact\'s information is updated.', 'catalogue salesiq: visitor.updated, the three cases in schema.examples'],
    ['…navigate to Settings > Developers > Webhooks', 'dashboard: Webhooks (the org\'s webhook list)'],
    ['Here, you can add portal-based and embed-based events through webhooks in the Administration and Data modules respectively.', 'apps: null (admin, org-wide) or apps: [app ids] (data, per embed)'],
    ['Inside the Administration module, you can create webhooks based on portal operations. On subscription, you will be notified every time a portal event occurs.', 'apps: null: every event of its types in the org'],
    ['Enter the URL that has to be invoked. … Choose the events that you want to associate with the webhook.', 'dashboard Create webhook: Endpoint URL, then Events from the catalogue'],
    ['Finally, click Create Webhook and your webhook will be created.', 'dashboard: Create webhook; POST …/webhooks answers 201'],
    ['You will also be able to see the Webhook instructions here.', 'dashboard webhook page: how requests are signed and retried, in words, and the keys to verify with'],
    ['In the dashboard, hover over the webhook that you want to delete and then click on the delete icon on the far right.', 'dashboard webhook list: Delete on each row; DELETE …/webhooks/{id}'],
    ['A confirmation pop-up appears. Click Delete and the webhook will be deleted.', 'dashboard asks Delete this webhook? first; its pending deliveries are cancelled'],
    ['Click the toggle button that appears on the right end of each webhook.', 'dashboard list: on/off switch; PATCH …/webhooks/{id} {"state": "enabled" or "disabled"}'],
    ['Inside the Data module, you can create webhooks based on embed operations. On subscription, you will be notified every time an embed event occurs.', 'apps: [app ids]: only events of those apps'],
    ['Choose the SalesIQ app(s) that you want to create a webhook for.', 'apps on create or PATCH; dashboard: Apps (every app or some)'],
    ['Failures: The number of times the webhook has failed', 'GET …/webhooks: failures (failed attempts) and failures_24h; the dashboard list shows failures in the last 24 h'],
    ['Last Triggered: When the webhook was last triggered', 'GET …/webhooks: last_triggered_at; dashboard column Last triggered'],
    ['App: A list of the apps the webhook is associated with', 'GET …/webhooks: apps; dashboard column Apps'],
  ]),
];

/** Seed 003: the chatbot's CRM webhook. */
const SMARTERBOT_SOURCES: Source[] = from('003', [
  ['The webhook will process data per chatbot.', 'ingest with app_id = the chatbot\'s SerialNumber and give each webhook apps: [that id], or filter entity.SerialNumber == "…"'],
  ['Webhook will post leads and appointment records to your CRM in JSON format daily.', 'delivery {"mode": "digest", "at": "HH:MM"}: one POST a day of the records as a JSON array; catalogue smarterbot'],
  ['To set up a Webhook you must have been issued with a chat.smarterbot.ai logon …', 'an API key with webhooks:write, or a portal link with manage access'],
  ['Once the webhook URL is entered, the webhook Sign Key is automatically generated.', 'create answers key.secret (whsec_ + 64 hex), shown once'],
  ['…a unique secret key shared between your application and chat.smarterbot.ai, to verify the events sent to your endpoints.', 'a random secret per webhook key, sealed at rest; up to 2 keys for rotation'],
  ['The webhook signing key will produce theX-Webhook-Signature, which you can use to compare against an expected webhook signature, to verify events from chat.smarterbot.ai.', 'signature.scheme hmac-timestamp keyed with the secret\'s UTF-8 text'],
  ['…it will include theX-Webhook-Signature header in the following format: … X-Webhook-Signature: t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd', 'signature.header X-Webhook-Signature: t=unix seconds,v1=lowercase hex'],
  ['Compare the X-Webhook-Signature, prefixed by v1=, to the expected signature.', 'one v1= per key; the key in use comes last, so a parser that keeps the last v1 still verifies during rotation'],
  ['If they match, then you can trust that the event payload was issued by chat.smarterbot.ai and has not been tampered with.', '@herald/receiver heraldFastify or verify with scheme hmac-timestamp; Stripe\'s constructEvent also accepts it'],
  ["Create the signed payload by concatenating the timestamp (t), the character '.' and the request body's JSON payload.", 'signed bytes: t + "." + body; the body is compact JSON.stringify output, so JSON.stringify(req.body) reproduces it'],
  ['Determine the expected signature by computing an HMAC with the SHA256 hash function.', 'HMAC-SHA256, hex digest'],
  ['When an event occurs, it is notified to your configured webhook URL.', 'fan-out on ingest to the webhook URL'],
  ['Push any new leads and appointments immediately,', 'delivery.mode immediate (the default): one POST per lead or appointment as it is ingested'],
  ['Notification Details – HTTP POST Request … JSON Body', 'POST with content-type: application/json'],
  ['SerialNumber string Chatbot ID … Type string There are two types: Lead and Appointment', 'payload: raw (the record itself is the body); catalogue smarterbot: lead.created and appointment.created with this record\'s schema and example'],
  ['{"status":"success"} or {"status":"Success: test request received"} (case-sensitive…), returning other values is considered a failure.', 'success.bodies: a 2xx whose body is exactly one of the two, byte for byte; anything else fails (body_mismatch)'],
  ['After failure, retry within 1 minute and 3 minutes.', 'retry_schedule: 1m, 3m'],
]);

/** Seed 004: the marketing platform's callback webhooks. */
const DIALOG_INSIGHT_SOURCES: Source[] = from('004', [
  ['Webhooks allow your application to receive real-time data from one or multiple events occurring in the Dialog Insight platform.', 'events: one or many event types; delivered immediately'],
  ['At the end of the article, you will find examples to download of C# and PHP signature validation.', 'docs/signatures.md: C# and PHP verification examples, beside TypeScript (@herald/receiver), Python and openssl'],
  ['To use a webhook, you must provide a destination URL where you send the notifications and select where and when you want to receive data related to your contacts or messages.', 'url, events, and optionally apps and filter'],
  ['Dialog Insight sends this data to your system when the selected events are triggered.', 'fan-out on ingest to webhooks subscribed to the event type'],
  ['You must then confirm to Dialog Insight that you received the notification.', 'success.status: [200]'],
  ['Dialog Insight sends a notification to the callback URL.', 'one POST per delivery to the webhook url'],
  ['Your system must confirm the reception of this notification as soon as possible to avoid repeated tries for the same query.', 'a 200 within timeout_ms ends the delivery; anything else is retried by retry_schedule'],
  ['Provide a callback URL for the destination in your system or app.', 'url on POST …/webhooks'],
  ['Follow the access path and click Create a Webhook. Then, indicate the callback URL …', 'dashboard: Create webhook, Endpoint URL'],
  ['Check the event (updates) which will trigger the data transfer to your system', 'events; dashboard: Events from the catalogue'],
  ['To learn more on the data that are sent for each event, you can use the Example button or the Test button at the right of an event', 'dashboard webhook page: Example and Test on each event type\'s row'],
  ['Example will provide you with an example of the sent values in JSON (this can be different with the data that are really sent depending on your project struture).', 'GET /api/v1/event-types/{name}/example: the envelope a webhook would receive'],
  ['Test allows you to send a test directly to the callback URL.', 'POST …/webhooks/{id}/test: logged as a test, not counted in health or alerts'],
  ['The sent data will contain the field isTest with the True value (isTest: true).', 'test sends of this preset carry "isTest": true'],
  ['To add a layer of protection that validates the webhook is really coming from Dialog Insight, you can add a cryptographic signature.', 'signature.scheme rsa-sha256, on by default ("secured": false turns it off)'],
  ['This signature will be added to the header. This HTTP header is named "X-DI-Signature".', 'signature: rsa-sha256, header X-DI-Signature'],
  ['Your page checks the value of the "X-DI-Signature" against the public XML or PEM key (provided on the webhook\'s configuration page).', 'keys answer public_key (PEM) and public_key_xml (RSAKeyValue); dashboard Keys tab shows both'],
  ['If the comparison is valid, then you process the received data, otherwise you reject the call.', '@herald/receiver createVerifier with scheme rsa-sha256, header X-DI-Signature, PEM or XML key'],
  ['To add a layer of protection, you can add an SSL certificate in the Client certificate authentication section.', 'client_certificate: presented on every attempt (mutual TLS)'],
  ['The certificate (which contains a private and public key) can be added manually or with .pfx file', 'client_certificate {cert, key, passphrase?} (PEM) or {pfx, passphrase?} (PKCS#12 in base64)'],
  ['If you want, you can add alerts to notify users of your account by email.', 'alert_emails on the webhook (the org owner, creator and modifier are mailed too); org setting alert_mail: off stops all'],
  ["After the 1th, 10th, 100th, 1000th, 10000th error of each day (based on Dialog Insight' server time).", 'alerts: daily-errors, mail_at 1, 10, 100, 1000, 10000 (days of the server clock)'],
  ['When your webhook has been automatically deactivated.', 'alerts: mail on deactivation'],
  ['As soon as the webhook is configured, Dialog Insight can send an HTTP POST request to the URL you have specified each time the requested events occur.', 'delivery.mode immediate: one POST per event'],
  ['The POST request parameters contain data (in JSON format) related to the event.', 'payload: envelope, compact JSON'],
  ['Votre application doit confirmer la réception de la notification avec une réponse HTTP dont le code est 200 (statut = OK) .', 'success.status: [200]'],
  ['Toute réponse en dehors de cette gamme indiquera à Dialog Insight que vous n’avez pas reçu votre webhook.', 'any status but 200 (201 and 204 included) is a failed attempt'],
  ["Dialog Insight fera jusqu'à 5 tentatives d'envoi sur une période d'environ 2 heures.", '1 attempt + retry_schedule of 4 = 5 attempts within 106 minutes'],
  ['Your application must confirm the reception … using an HTTP reply where the 200 code status is OK', 'success.status: [200]'],
  ['Any other reply will be considered as a no-reply …', 'any status but 200, a timeout or an error is a failed attempt'],
  ['A notification is sent as soon as a targeted action is performed in Dialog Insight’s platform using a POST (http / https).', 'delivery.mode immediate; http and https URLs both accepted (url_rules off)'],
  ['This POST has a 15 second timeout.', 'timeout_ms: 15000'],
  ['Then, we will make 4 more attempts in the next 2 hours to resend the notification if we have not received an HTTP response with an OK code (code = 200).', 'retry_schedule has 4 entries'],
  ['1st attempt: when the action is performed', 'the first attempt is due when the event is committed'],
  ['2nd attempt: 1 minute later', 'retry_schedule[0]: 1m'],
  ['3rd attempt: 15 minutes later (16 minutes after the action)', 'retry_schedule[1]: 15m'],
  ['4th attempt: 30 minutes later (46 minutes after the action)', 'retry_schedule[2]: 30m'],
  ['5th attempt: 60 minutes (101 minutes after the action)', 'retry_schedule[3]: 60m (106 minutes after the action by these delays: see Differences)'],
  ['If the notification still can’t be delivered after these attempts, it is placed in error and abandoned.', 'the delivery ends failed (and a delivery.exhausted event goes to operational webhooks); POST …/deliveries/{id}/retry can still resend it'],
  ['Notifications are automatically deactivated if you experience a system failure, to prevent a large number of messages blocked after multiple attempts.', 'alerts: daily-errors deactivate_after'],
  ['Your system will be considered in failure when at least 100 consecutive errors have occurred within a minimum of 8 hours.', 'alerts: daily-errors, deactivate_after 100 errors spanning 8h (state_reason consecutive_errors)'],
  ['This webhook will then be deactivated and an alert will be sent to users set to receive alerts related to this webhook.', 'state deactivated; mail to the org owner, alert_emails, creator and last modifier'],
  ['To reactivate notifications, you must activate it again through the platform.', 'PATCH …/webhooks/{id} {"state": "enabled"}; dashboard: the state switch'],
  ['When the webhook is ready to use, click Activate.', '"published": false keeps a draft; PATCH {"published": true} activates it'],
  ['Once a webhook is enabled, Dialog Insight will send all the requested notifications.', 'state enabled: every matching event becomes a pending delivery'],
]);

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  standard: {
    name: 'standard',
    description: 'Standard Webhooks v1 signing, Svix-compatible retries (5 s … 10 h), any 2xx succeeds',
    signature: { scheme: 'standard' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 15 * S,
      retry_schedule_ms: [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H],
      retry_jitter: 0.2,
      success: { status: ['2xx'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'failing-days', span_ms: 5 * D },
    sources: STANDARD_SOURCES,
  },
  salesiq: {
    name: 'salesiq',
    description: 'SalesIQ (seeds 000–002): RSA SHA-256 in x-siqsignature, 5 s timeout, 3 retries 1 minute apart',
    signature: { scheme: 'rsa-sha256', header: 'x-siqsignature' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 5 * S,
      retry_schedule_ms: [1 * M, 1 * M, 1 * M],
      retry_jitter: 0,
      success: { status: ['2xx'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'failure-ladder', window_ms: 1 * H },
    sources: SALESIQ_SOURCES,
  },
  smarterbot: {
    name: 'smarterbot',
    description: 'Smarterbot (seed 003): t=…,v1=<hex> HMAC in X-Webhook-Signature, raw record body, success only on exact bodies',
    signature: { scheme: 'hmac-timestamp', header: 'X-Webhook-Signature' },
    payload_mode: 'raw',
    policy: {
      timeout_ms: 10 * S,
      retry_schedule_ms: [1 * M, 3 * M],
      retry_jitter: 0,
      success: { status: ['2xx'], bodies: ['{"status":"success"}', '{"status":"Success: test request received"}'] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'none' },
    sources: SMARTERBOT_SOURCES,
  },
  'dialog-insight': {
    name: 'dialog-insight',
    description: 'Dialog Insight (seed 004): RSA SHA-256 in X-DI-Signature, 15 s timeout, retries at 1, 15, 30, 60 min, only status 200',
    signature: { scheme: 'rsa-sha256', header: 'X-DI-Signature' },
    payload_mode: 'envelope',
    policy: {
      timeout_ms: 15 * S,
      retry_schedule_ms: [1 * M, 15 * M, 30 * M, 60 * M],
      retry_jitter: 0,
      success: { status: [200] },
      on_410: 'deactivate',
    },
    alerts: { rule: 'daily-errors', mail_at: [1, 10, 100, 1000, 10000], deactivate_after: { errors: 100, span_ms: 8 * H } },
    sources: DIALOG_INSIGHT_SOURCES,
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}
