namespace OmePortal.Core.Access;

/// <summary>The single access rule of the portal (docs/ARCHITECTURE.md §7).</summary>
public static class AccessPolicy
{
    /// <summary>
    /// Decides access for <paramref name="reader"/> (null when nobody is signed in).
    /// Order matters: a stranger learns nothing (not even whether the message exists or expired)
    /// before proving an address, and a signed-in non-recipient gets the same answer for an unknown
    /// message as for someone else's. A recipient signed in with a method the brand turned off has not
    /// proved the address in a way the sender accepts, so they too learn nothing of the message's state.
    /// </summary>
    public static AccessDecision Decide(MessageFacts? message, SignedInReader? reader, DateTimeOffset now)
    {
        if (reader is null)
        {
            // An unknown message answers as a message of the default brand does, so this says nothing either.
            return new AccessDecision.NeedsSignIn(message?.AllowedMethods ?? SignInMethods.All);
        }

        if (message is null)
        {
            return new AccessDecision.NotARecipient();
        }

        var recipient = message.Recipients.FirstOrDefault(r => string.Equals(r.Address, reader.Address, StringComparison.OrdinalIgnoreCase));
        if (recipient is null)
        {
            return new AccessDecision.NotARecipient();
        }

        if (RefuseSignIn(message.AllowedMethods, reader.Method) is { } refused)
        {
            return refused;
        }

        if (message.ExpiresAt is { } expires && expires <= now)
        {
            return new AccessDecision.Expired(message.SenderAddress, expires);
        }

        if (message.Shredded || recipient.Revoked)
        {
            return new AccessDecision.Revoked(message.SenderAddress);
        }

        return new AccessDecision.Granted(message.MessageId, recipient.RecipientId, recipient.Address, message.Protection);
    }

    /// <summary>
    /// The sign-in part of the rule on its own, for the one path that is not a recipient's (the sender
    /// withdrawing their own message): null when <paramref name="used"/> is one of <paramref name="allowed"/>.
    /// </summary>
    public static AccessDecision.NeedsOtherSignIn? RefuseSignIn(SignInMethods allowed, SignInMethods used) =>
        used != SignInMethods.None && (allowed & used) == used ? null : new AccessDecision.NeedsOtherSignIn(allowed);
}
