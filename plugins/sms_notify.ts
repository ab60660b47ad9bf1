/**
 * @module plugins/sms_notify
 * Example plugin: sends a text message through an HTTP SMS gateway (Twilio-style proxies,
 * self-hosted gateways such as an Android phone running an SMS gateway app, or your own relay).
 * It POSTs `{"to", "message", "sender"}` as JSON to `gateway_url` and fails the step when the
 * gateway does not answer 2xx. Like every plugin it imports only `switchboard/plugin`.
 *
 * @example action in an endpoint
 * { "type": "sms_notify", "config": {
 *     "gateway_url": "https://sms.example.com/api/send",
 *     "to": "{{request.body.phone}}",
 *     "message": "Your code is {{actions[0].result.code}}",
 *     "auth_header": "Bearer {{credentials.SMS_TOKEN}}" } }
 */
import { ActionError, definePlugin, t } from "switchboard/plugin";

/** The longest text gateways accept: 10 concatenated SMS segments of 160 characters. */
const MAX_MESSAGE = 1600;

export default definePlugin({
  type: "sms_notify",
  title: "Send SMS",
  description: "Sends a text message through an HTTP SMS gateway (POST {to, message, sender} as JSON)",
  config: t.Object(
    {
      gateway_url: t.String({ format: "uri", description: "The gateway's send URL (http or https)" }),
      to: t.String({
        pattern: "^\\+?[0-9][0-9 ().-]{2,31}$",
        description: "Recipient phone number, ideally E.164 (+15551234567); spaces, dots, dashes and parentheses are dropped",
      }),
      message: t.String({ minLength: 1, maxLength: MAX_MESSAGE }),
      sender: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "Sender id or number, if the gateway lets you choose" })),
      auth_header: t.Optional(t.String({ description: "Authorization header value, e.g. `Bearer {{credentials.SMS_TOKEN}}`" })),
    },
    { additionalProperties: false },
  ),
  async run(ctx, config) {
    const to = config.to.replace(/[ ().-]/g, "");
    const headers: Record<string, string> = { accept: "application/json" };
    if (config.auth_header) headers.authorization = config.auth_header;
    const response = await ctx.http.fetch(config.gateway_url, {
      method: "POST",
      body: { to, message: config.message, sender: config.sender },
      headers,
    });
    if (response.status < 200 || response.status > 299) {
      throw new ActionError("UPSTREAM_ERROR", `The SMS gateway answered ${response.status}`, {
        status: response.status,
        gateway_response: excerpt(response.body),
      });
    }
    // A phone number is personal data: the log keeps only its last digits.
    ctx.log.info("sms sent", { to: `…${to.slice(-3)}`, status: response.status });
    return { status: response.status, gateway_response: response.body };
  },
});

/** Enough of a gateway's error answer to debug it, without storing a huge page in the history. */
function excerpt(body: unknown): unknown {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text !== undefined && text.length > 500 ? `${text.slice(0, 500)}…` : body;
}
