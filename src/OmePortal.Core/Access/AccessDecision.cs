using OmePortal.Core.Intake;

namespace OmePortal.Core.Access;

/// <summary>How a recipient may prove who they are, as a message's brand allows it and as a session did it.</summary>
[Flags]
public enum SignInMethods
{
    None = 0,

    /// <summary>A one-time passcode mailed to the address (the brand's <c>OtpEnabled</c>).</summary>
    Passcode = 1,

    /// <summary>Microsoft or any other OpenID Connect provider (the brand's <c>MicrosoftSignInEnabled</c>).</summary>
    External = 2,

    /// <summary>A passkey registered with the portal; allowed wherever <see cref="Passcode"/> is (see <see cref="SignInChoices"/>).</summary>
    Passkey = 4,

    All = Passcode | External | Passkey,
}

/// <summary>
/// The answer to "may this person see this message?". A closed set decided in one place
/// (<see cref="AccessPolicy"/>): every page, download and reply endpoint asks it and switches over
/// the answer, so no endpoint can forget a case.
/// </summary>
public abstract record AccessDecision
{
    private AccessDecision() { }

    /// <summary>The signed-in address is a live recipient of the live message, signed in a way its brand allows.</summary>
    public sealed record Granted(Guid MessageId, Guid RecipientId, string Address, ProtectionLevel Protection) : AccessDecision;

    /// <summary>Nobody is signed in: sign in with one of these methods first. Says nothing about the message.</summary>
    public sealed record NeedsSignIn(SignInMethods Methods) : AccessDecision;

    /// <summary>
    /// Signed in as a recipient, but with a method the message's brand turned off: sign in another way, with
    /// one of <paramref name="Allowed"/> (<see cref="SignInMethods.None"/> when the brand allows none). Says
    /// nothing more about the message (not whether it expired or was revoked).
    /// </summary>
    public sealed record NeedsOtherSignIn(SignInMethods Allowed) : AccessDecision;

    /// <summary>Signed in, but not as a recipient of this message (or there is no such message: the same answer).</summary>
    public sealed record NotARecipient : AccessDecision;

    /// <summary>The message expired at <paramref name="ExpiresAt"/>: the page says when, and whom to ask for it again.</summary>
    public sealed record Expired(string SenderAddress, DateTimeOffset ExpiresAt) : AccessDecision;

    public sealed record Revoked(string SenderAddress) : AccessDecision;
}

/// <summary>Who is signed in: the verified address and the one method the session was started with.</summary>
public sealed record SignedInReader(string Address, SignInMethods Method);

/// <summary>What the policy needs to know about a message, loaded by the caller.</summary>
/// <param name="AllowedMethods">The sign-in methods the message's brand allows (<see cref="SignInChoices.AllowedBy"/>).</param>
public sealed record MessageFacts(
    Guid MessageId,
    ProtectionLevel Protection,
    string SenderAddress,
    DateTimeOffset? ExpiresAt,
    bool Shredded,
    SignInMethods AllowedMethods,
    IReadOnlyList<RecipientFacts> Recipients);

public sealed record RecipientFacts(Guid RecipientId, string Address, bool Revoked);
