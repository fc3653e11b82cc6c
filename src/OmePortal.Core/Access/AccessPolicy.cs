namespace OmePortal.Core.Access;

/// <summary>The single access rule of the portal (docs/ARCHITECTURE.md §7).</summary>
public static class AccessPolicy
{
    /// <summary>
    /// Decides access for <paramref name="verifiedAddress"/> (null when nobody is signed in).
    /// Order matters: a stranger learns nothing (not even whether the message exists or expired)
    /// before proving an address, and a signed-in non-recipient gets the same answer for an unknown
    /// message as for someone else's.
    /// </summary>
    public static AccessDecision Decide(MessageFacts? message, string? verifiedAddress, DateTimeOffset now)
    {
        if (verifiedAddress is null)
        {
            return new AccessDecision.NeedsSignIn(message?.AllowedMethods ?? SignInMethods.Passcode);
        }

        if (message is null)
        {
            return new AccessDecision.NotARecipient();
        }

        var recipient = message.Recipients.FirstOrDefault(r => string.Equals(r.Address, verifiedAddress, StringComparison.OrdinalIgnoreCase));
        if (recipient is null)
        {
            return new AccessDecision.NotARecipient();
        }

        if (message.ExpiresAt is { } expires && expires <= now)
        {
            return new AccessDecision.Expired(message.SenderAddress);
        }

        if (message.Shredded || recipient.Revoked)
        {
            return new AccessDecision.Revoked(message.SenderAddress);
        }

        return new AccessDecision.Granted(message.MessageId, recipient.RecipientId, recipient.Address, message.Protection);
    }
}
