using OmePortal.Core.Intake;

namespace OmePortal.Core.Access;

/// <summary>How a recipient may prove who they are.</summary>
[Flags]
public enum SignInMethods
{
    None = 0,
    Passcode = 1,
    Microsoft = 2,
    Passkey = 4,
}

/// <summary>
/// The answer to "may this person see this message?". A closed set decided in one place
/// (<see cref="AccessPolicy"/>): every page, download and reply endpoint asks it and switches over
/// the answer, so no endpoint can forget a case.
/// </summary>
public abstract record AccessDecision
{
    private AccessDecision() { }

    /// <summary>The signed-in address is a live recipient of the live message.</summary>
    public sealed record Granted(Guid MessageId, Guid RecipientId, string Address, ProtectionLevel Protection) : AccessDecision;

    /// <summary>Nobody is signed in: sign in with one of these methods first. Says nothing about the message.</summary>
    public sealed record NeedsSignIn(SignInMethods Methods) : AccessDecision;

    /// <summary>Signed in, but not as a recipient of this message (or there is no such message: the same answer).</summary>
    public sealed record NotARecipient : AccessDecision;

    public sealed record Expired(string SenderAddress) : AccessDecision;

    public sealed record Revoked(string SenderAddress) : AccessDecision;
}

/// <summary>What the policy needs to know about a message, loaded by the caller.</summary>
public sealed record MessageFacts(
    Guid MessageId,
    ProtectionLevel Protection,
    string SenderAddress,
    DateTimeOffset? ExpiresAt,
    bool Shredded,
    SignInMethods AllowedMethods,
    IReadOnlyList<RecipientFacts> Recipients);

public sealed record RecipientFacts(Guid RecipientId, string Address, bool Revoked);
