using OmePortal.Core.Intake;
using OmePortal.Core.Mime;

namespace OmePortal.Data;

/// <summary>An organisation using the portal. Everything else hangs off a tenant and every query is scoped to one.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public long MaxMessageBytes { get; set; }
    public ProtectionLevel DefaultProtection { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Whether attachment previews of Do-Not-Forward messages carry a text layer (selectable, searchable,
    /// read by screen readers). Off by default: text copies out of a page where a watermarked image does
    /// not, so the tenant's admin decides. Previews of other messages always carry one.
    /// </summary>
    public bool DoNotForwardPreviewText { get; set; }
}

/// <summary>One version of a tenant key, wrapped by the master key (AES-KWP). A retired version has no key bytes left.</summary>
public sealed class TenantKeyRecord
{
    public Guid TenantId { get; set; }
    public int Version { get; set; }
    public byte[]? WrappedKey { get; set; }
    public bool IsActive { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>A tenant API key. Only the SHA-256 of the key is kept; the key itself is shown once.</summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public required string Prefix { get; set; }
    public required byte[] KeyHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A branding template: the brand as JSON (no secrets, no message content) plus its logo.</summary>
public sealed class BrandTemplateRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public bool IsDefault { get; set; }
    public required string Json { get; set; }
    public byte[]? Logo { get; set; }
    public string? LogoContentType { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A protected message. Content and render model live encrypted in the blob store; this row holds only
/// routing metadata and the message key wrapped by the tenant key. <see cref="WrappedKey"/> null means
/// the message was crypto-shredded.
/// </summary>
public sealed class MessageRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public IngestSource Source { get; set; }
    public ProtectionLevel Protection { get; set; }
    public Guid TemplateId { get; set; }
    public required string SenderAddress { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public long SizeBytes { get; set; }
    public int KeyVersion { get; set; }
    public byte[]? WrappedKey { get; set; }
    public DateTimeOffset? ShreddedAt { get; set; }
    public required string ContentBlob { get; set; }
    public required string RenderBlob { get; set; }
    public int RenderPolicyVersion { get; set; }

    /// <summary>
    /// The render model without its bodies, sealed under the message key (purpose RenderSummary), or
    /// null for messages stored before it was kept here and after shredding: the pages that show a
    /// message but not its body read it with the row instead of decrypting the render blob.
    /// </summary>
    public byte[]? SealedSummary { get; set; }

    /// <summary>Keyed hash of the Message-ID of an SMTP submission, so a retried transaction is stored once.</summary>
    public byte[]? DedupeHash { get; set; }

    /// <summary>The thread this message belongs to: its own id for a new message, the original's for a portal reply.</summary>
    public Guid ConversationId { get; set; }

    /// <summary>For a reply or forward written in the portal: the message it answers.</summary>
    public Guid? InReplyToMessageId { get; set; }

    public List<RecipientRecord> Recipients { get; set; } = [];
}

/// <summary>One recipient of one message. The link token is kept only as its SHA-256.</summary>
public sealed class RecipientRecord
{
    public Guid Id { get; set; }
    public Guid MessageId { get; set; }
    public Guid TenantId { get; set; }
    public required string Address { get; set; }
    public RecipientKind Kind { get; set; }
    public required byte[] TokenHash { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? FirstViewedAt { get; set; }
    public DateTimeOffset? RepliedAt { get; set; }

    /// <summary>How the recipient was sent the message: the portal, or an end-to-end copy (which cannot be recalled).</summary>
    public OmePortal.Core.EndToEnd.DeliveryMethod DeliveryMethod { get; set; }
}

public enum OutboundMailKind
{
    Notification = 0,
    Passcode = 1,

    /// <summary>"A passkey was added to your address", in the portal's neutral brand.</summary>
    PasskeyAdded = 2,

    /// <summary>"An encryption key was added for your address" (recipient key directory), in the portal's neutral brand.</summary>
    RecipientKeyAdded = 3,

    /// <summary>
    /// The original message encrypted to the recipient's own key (S/MIME or OpenPGP), composed at send time from the
    /// vault and relayed through the smart host. Its payload is the link token, so it can fall back to a notification.
    /// </summary>
    EndToEnd = 4,
}

public enum OutboundMailStatus
{
    Pending = 0,
    Sent = 1,
    Failed = 2,
    Cancelled = 3,
}

/// <summary>
/// A mail the portal must send, queued in the same transaction as the message that causes it, so
/// nothing is lost across a restart. <see cref="SealedPayload"/> holds what the mail needs that must
/// not rest in plaintext (the link token), sealed with the message key.
/// </summary>
public sealed class OutboundMailRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? RecipientId { get; set; }
    public OutboundMailKind Kind { get; set; }
    public required string ToAddress { get; set; }
    public OutboundMailStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public string? LastError { get; set; }
    public byte[]? SealedPayload { get; set; }

    /// <summary>
    /// The language decided when the mail was queued ("en", "nl"), or null to decide at delivery: a
    /// passcode mail keeps the language of the page that asked for it, which is gone once the request is.
    /// </summary>
    public string? Language { get; set; }
}

/// <summary>
/// One passcode sent to one address. Only a keyed hash of the code is kept; the challenge is
/// consumed by the first correct answer, burned after too many wrong ones, and dead after ten minutes.
/// </summary>
public sealed class PasscodeChallenge
{
    public Guid Id { get; set; }
    public required string Address { get; set; }

    /// <summary>The message whose link started the sign-in (null when started from the inbox sign-in page).</summary>
    public Guid? MessageId { get; set; }

    /// <summary>Shown on the page and in the mail, so the recipient can match them.</summary>
    public required string ReferenceCode { get; set; }

    public required byte[] CodeHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public int FailedAttempts { get; set; }
    public DateTimeOffset? ConsumedAt { get; set; }
    public DateTimeOffset? BurnedAt { get; set; }

    /// <summary>False for a challenge made for an address that has no messages: it looks the same but no mail leaves and no code works.</summary>
    public bool Deliverable { get; set; }
}

/// <summary>Per-address sign-in failure state: consecutive failures across challenges and the cool-down they cause.</summary>
public sealed class RecipientLockout
{
    public required string Address { get; set; }
    public int ConsecutiveFailures { get; set; }
    public DateTimeOffset? CooldownUntil { get; set; }
}

/// <summary>
/// The language a recipient last used in the portal, so that the next notification to that address is
/// in it. Global, not per tenant: the reader is one person across tenants (the inbox already is). Keyed
/// by a keyed hash of the normalised address, because the row is only ever looked up with the address
/// in hand and should not keep the address once the messages to it are gone.
/// </summary>
public sealed class RecipientLanguagePreference
{
    public required byte[] AddressHash { get; set; }
    public required string Language { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A recipient's signed-in session, held on the server so that sign-out and expiry are real. The
/// cookie carries a random id; only its SHA-256 is stored.
/// </summary>
public sealed class RecipientSession
{
    public Guid Id { get; set; }
    public required byte[] TokenHash { get; set; }
    public required string Address { get; set; }
    public required string Method { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The <see cref="PasskeyCredential.Id"/> that signed this session in, if a passkey did: removing it ends the session.</summary>
    public Guid? PasskeyId { get; set; }
}

/// <summary>
/// A WebAuthn passkey of one recipient address. The address is fixed at registration (the signed-in
/// address at the time) and a sign-in with the passkey yields exactly that address, never another.
/// </summary>
public sealed class PasskeyCredential
{
    public Guid Id { get; set; }
    public required byte[] CredentialId { get; set; }
    public required byte[] PublicKey { get; set; }
    public long SignCount { get; set; }
    public required byte[] UserHandle { get; set; }

    /// <summary>The normalised recipient address the passkey signs in as.</summary>
    public required string Address { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>
    /// The sign-in method that had verified the address when the passkey was registered (<c>passcode</c>,
    /// <c>microsoft</c>, <c>oidc:&lt;provider&gt;</c>); the passkey's sessions count as that method where a
    /// brand decides (docs/ARCHITECTURE.md §7). Null for passkeys registered before it was recorded.
    /// </summary>
    public string? RegisteredWith { get; set; }
}

/// <summary>
/// A WebAuthn ceremony in progress: the options sent to the browser, kept on the server so the
/// challenge cannot be chosen by the client, and consumed once.
/// </summary>
public sealed class PasskeyChallenge
{
    public Guid Id { get; set; }

    /// <summary>"register" or "signin".</summary>
    public required string Purpose { get; set; }

    /// <summary>For a registration: the signed-in address that asked; null for a sign-in.</summary>
    public string? Address { get; set; }
    public required string OptionsJson { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? ConsumedAt { get; set; }
}

/// <summary>What an audit event records (docs/ARCHITECTURE.md §9). Stored as its number: append new kinds at the end, never renumber.</summary>
public enum AuditEventKind
{
    MessageReceived = 0,
    NotificationSent = 1,
    NotificationFailed = 2,
    PasscodeSent = 3,
    PasscodeFailed = 4,
    SignedIn = 5,
    MessageViewed = 6,
    AttachmentDownloaded = 7,
    Replied = 8,
    Forwarded = 9,
    MessageRevoked = 10,
    MessageExpired = 11,
    MessageShredded = 12,
    KeyRotated = 13,
    ApiKeyCreated = 14,
    ApiKeyRevoked = 15,
    TemplateChanged = 16,
    RuleChanged = 17,
    AdminSignedIn = 18,
    AdminSignInFailed = 19,
    AdminChanged = 20,
    TenantChanged = 21,

    /// <summary>A portal reply or forward refused by a quota (detail: which one); nothing was stored or sent.</summary>
    ReplyRefused = 22,

    /// <summary>An admin session ended before its time (detail: signed out, ended from the session list, everywhere, ...).</summary>
    AdminSessionEnded = 23,
    AdminPasswordChanged = 24,
    AdminRecoveryCodesRegenerated = 25,

    /// <summary>A system admin disabled an admin account (detail: whose).</summary>
    AdminDisabled = 26,
    AdminEnabled = 27,
    AdminRemoved = 28,

    /// <summary>A system admin reset an admin's authenticator (and passkeys): they enrol again at next sign-in.</summary>
    AdminAuthenticatorReset = 29,

    /// <summary>A recipient added a passkey to their address (detail: the method their session had signed in with).</summary>
    PasskeyAdded = 30,

    /// <summary>A recipient removed a passkey (detail: how many sessions it had signed in were ended).</summary>
    PasskeyRemoved = 31,

    /// <summary>A certificate or OpenPGP key was added to (or replaced in) the recipient key directory (detail: address, kind, fingerprint, source).</summary>
    RecipientKeyAdded = 32,

    /// <summary>A key was removed from the recipient key directory (detail: address, kind, fingerprint).</summary>
    RecipientKeyRemoved = 33,

    /// <summary>A trust anchor for recipient certificates was added (detail: fingerprint and subject).</summary>
    TrustAnchorAdded = 34,
    TrustAnchorRemoved = 35,

    /// <summary>A tenant signing identity was uploaded or replaced (detail: kind and fingerprint).</summary>
    SigningIdentitySet = 36,
    SigningIdentityRemoved = 37,

    /// <summary>The recipient key settings changed (detail: the new values).</summary>
    RecipientKeySettingsChanged = 38,

    /// <summary>A recipient opened the preview of an attachment (detail: the attachment's index).</summary>
    AttachmentPreviewed = 39,
}

/// <summary>
/// One entry of the append-only audit log. Never updated or deleted by the portal; holds metadata
/// only (addresses, ids, a method name), never message content.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public DateTimeOffset At { get; set; }
    public AuditEventKind Kind { get; set; }

    /// <summary>Who did it: a recipient or admin address, "system", or "api:&lt;key prefix&gt;".</summary>
    public required string Actor { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? RecipientId { get; set; }

    /// <summary>A short machine-readable detail: the sign-in method, the attachment index, the rule name, ...</summary>
    public string? Detail { get; set; }
}

/// <summary>
/// An administrator (ASP.NET Core Identity user). <see cref="TenantId"/> null is a system admin, who
/// manages tenants and acts for one at a time; otherwise the admin sees only that tenant.
/// </summary>
public sealed class AdminUser : Microsoft.AspNetCore.Identity.IdentityUser<Guid>
{
    public Guid? TenantId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set by a system admin: the account cannot sign in (its sessions ended when this was set).</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The password was chosen by someone else (a system admin): its owner changes it before anything else.</summary>
    public bool MustChangePassword { get; set; }
}

/// <summary>
/// One admin sign-in, held on the server: the admin cookie carries its id, and every request checks it,
/// so signing out, "sign out everywhere", a password change or a system admin ending it stops every copy
/// of the cookie at once; and a session ends after an absolute lifetime however active it is.
/// </summary>
public sealed class AdminSession
{
    public Guid Id { get; set; }
    public Guid AdminUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The client address at sign-in, so the admin can recognise the session in their list.</summary>
    public string? ClientAddress { get; set; }

    /// <summary>A short summary of the browser at sign-in (the User-Agent, cut), for the same reason.</summary>
    public string? UserAgent { get; set; }
}

/// <summary>
/// The last authenticator time step an admin signed in with. A TOTP code stays valid for its whole
/// window; remembering the step makes each code good for one sign-in (RFC 6238 §5.2). Kept apart
/// from <see cref="AdminUser"/> so Identity's whole-row updates can never write an older step back.
/// </summary>
public sealed class AdminAuthenticatorUse
{
    public Guid AdminUserId { get; set; }
    public long LastTimeStep { get; set; }
    public DateTimeOffset UsedAt { get; set; }
}

/// <summary>
/// A WebAuthn passkey of one admin account (user verification required, so it stands for both
/// factors). Separate from recipients' <see cref="PasskeyCredential"/>: neither sign-in ever finds the other's.
/// </summary>
public sealed class AdminPasskey
{
    public Guid Id { get; set; }
    public Guid AdminUserId { get; set; }
    public required byte[] CredentialId { get; set; }
    public required byte[] PublicKey { get; set; }
    public long SignCount { get; set; }
    public required byte[] UserHandle { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>
/// A single-use link that lets someone create an admin account: the first-run setup link (no tenant,
/// no address: makes the system admin) or an invitation to a tenant admin. Only the token's SHA-256 is kept.
/// </summary>
public sealed class AdminInvitation
{
    public Guid Id { get; set; }
    public required byte[] TokenHash { get; set; }

    /// <summary>Null: the account made is a system admin.</summary>
    public Guid? TenantId { get; set; }

    /// <summary>The invited address (fixed by the inviter); null for the setup link, where the person chooses it.</summary>
    public string? Email { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}

/// <summary>
/// A mail-flow rule (docs/ARCHITECTURE.md §9). Conditions and action are JSON in the shape of
/// <c>OmePortal.Core.Rules.RuleConditions</c> / <c>RuleAction</c>, validated whenever a row is loaded.
/// </summary>
public sealed class MailFlowRuleRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }

    /// <summary>Lower runs first.</summary>
    public int Priority { get; set; }
    public bool Enabled { get; set; }
    public bool StopProcessing { get; set; }
    public required string ConditionsJson { get; set; }
    public required string ActionJson { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A domain the tenant owns: recipients there are internal for the rule condition "recipient is external".</summary>
public sealed class TenantDomainRecord
{
    public Guid TenantId { get; set; }
    public required string Domain { get; set; }
}

/// <summary>
/// One reply or forward written in the portal, kept for a day so that the reply quotas can be counted in the
/// database: every node of the portal sees the same numbers. Not tied to the message row, so shredding or
/// revoking a reply does not give its quota back.
/// </summary>
public sealed class ReplySendRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }

    /// <summary>The normalised address of the recipient who wrote it.</summary>
    public required string Address { get; set; }

    /// <summary>The recipient session it was sent from.</summary>
    public Guid SessionId { get; set; }
    public DateTimeOffset SentAt { get; set; }
    public List<ReplySendRecipient> NewRecipients { get; } = [];
}

/// <summary>An address a portal reply or forward went to that was not part of the conversation before.</summary>
public sealed class ReplySendRecipient
{
    public Guid ReplySendId { get; set; }
    public required string Address { get; set; }
}

/// <summary>
/// The preview of one attachment of a message (issue 23): which page images and text exist as blobs, or that
/// the document could not be previewed (kept, so a hostile document is converted once, not on every request).
/// Blob names are <see cref="BlobPrefix"/> plus a page suffix; they are ciphertext under the message key.
/// </summary>
public sealed class AttachmentPreviewRecord
{
    public Guid Id { get; set; }
    public Guid MessageId { get; set; }

    /// <summary>The attachment's index in the render model (as in the download URL).</summary>
    public int AttachmentIndex { get; set; }
    public AttachmentPreviewStatus Status { get; set; }

    /// <summary>What the converter saw it as: 0 PDF, 1 Office, 2 image, 3 text (the web layer's enum).</summary>
    public int Kind { get; set; }
    public int PagesRendered { get; set; }
    public int TotalPages { get; set; }
    public bool HasText { get; set; }
    public required string BlobPrefix { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public enum AttachmentPreviewStatus
{
    Ready = 0,

    /// <summary>The converter failed or broke a limit: "can't be previewed".</summary>
    Failed = 1,
}

/// <summary>What a recipient key directory entry holds (stored as a number; mirrors the web layer's RecipientKeyKind).</summary>
public enum RecipientKeyRecordKind
{
    SMime = 0,
    OpenPgp = 1,
}

/// <summary>How PGP mail is packaged for an entry: PGP/MIME unless the recipient or an admin chose PGP/Inline.</summary>
public enum RecipientKeyRecordPgpFormat
{
    Mime = 0,
    Inline = 1,
}

/// <summary>Who put a key into the directory.</summary>
public enum RecipientKeySource
{
    Admin = 0,
    Api = 1,
    Recipient = 2,
}

/// <summary>
/// One recipient's S/MIME certificate or OpenPGP public key, bound to one normalised address of one tenant.
/// Usability is not stored: it is decided each time from the key, the time and the tenant's trust anchors.
/// </summary>
public sealed class RecipientKeyRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Address { get; set; }
    public RecipientKeyRecordKind Kind { get; set; }

    /// <summary>Upper-case hex: SHA-256 of the certificate's DER, or the OpenPGP v4 fingerprint of the primary key.</summary>
    public required string Fingerprint { get; set; }

    /// <summary>The DER certificate, or the binary OpenPGP transferable public key.</summary>
    public required byte[] PublicKey { get; set; }
    public RecipientKeyRecordPgpFormat PgpFormat { get; set; }
    public RecipientKeySource Source { get; set; }

    /// <summary>Certificate subject or the OpenPGP User ID naming the address (shown in lists).</summary>
    public required string Description { get; set; }
    public DateTimeOffset? NotAfter { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public required string AddedBy { get; set; }
}

/// <summary>A CA (or self-signed) certificate the tenant accepts as the root of recipient certificates.</summary>
public sealed class RecipientTrustAnchorRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }

    /// <summary>Upper-case hex SHA-256 of the DER certificate.</summary>
    public required string Fingerprint { get; set; }
    public required string Subject { get; set; }
    public required byte[] Certificate { get; set; }
    public DateTimeOffset NotAfter { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public required string AddedBy { get; set; }
}

/// <summary>The tenant's choices for the recipient key directory and signing; a missing row means the defaults (all off).</summary>
public sealed class RecipientKeySettingsRecord
{
    public Guid TenantId { get; set; }

    /// <summary>Accept a self-signed recipient certificate without a trust anchor (it must still name the address and be valid).</summary>
    public bool AllowSelfSigned { get; set; }

    /// <summary>Sign the portal's notification mails with the tenant's signing identity too.</summary>
    public bool SignNotifications { get; set; }
}

/// <summary>
/// A tenant signing identity (at most one per kind): the public part in the clear, the private key sealed
/// under its own random key (<see cref="SealedSecret"/>), which is stored wrapped by a tenant key version,
/// like a message key (docs/ARCHITECTURE.md §4).
/// </summary>
public sealed class SigningIdentityRecord
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public RecipientKeyRecordKind Kind { get; set; }
    public required string Fingerprint { get; set; }
    public required string Description { get; set; }
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>The DER certificate, or the binary OpenPGP public key.</summary>
    public required byte[] PublicPart { get; set; }
    public int KeyVersion { get; set; }
    public required byte[] WrappedKey { get; set; }

    /// <summary>PKCS#12 without password (S/MIME) or the binary secret key without passphrase (OpenPGP), sealed.</summary>
    public required byte[] SealedSecret { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public required string AddedBy { get; set; }
}
