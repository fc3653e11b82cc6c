using OmePortal.Core.Access;

namespace OmePortal.Web.Reading;

/// <summary>Why a message cannot be shown (the refusals a reader may see), for the _Unavailable partial.</summary>
public enum UnavailableKind
{
    /// <summary>No such message for this reader: the same page whether it does not exist or is someone else's.</summary>
    NotFound,
    Expired,
    Revoked,

    /// <summary>A download of a Do-Not-Forward message.</summary>
    DownloadRefused,

    /// <summary>Signed in with a method the message's brand turned off: sign in another way (<see cref="Unavailable.AllowedMethods"/>).</summary>
    NeedsOtherSignIn,
}

/// <param name="SenderAddress">Who to ask (expired, revoked); null otherwise.</param>
/// <param name="MessageId">The message to go back to (download refused) or to sign in again for (other sign-in); null otherwise.</param>
/// <param name="AllowedMethods">The sign-in methods the message allows (other sign-in); none otherwise.</param>
/// <param name="ExpiresAt">When the message expired (expired); null otherwise.</param>
public sealed record Unavailable(UnavailableKind Kind, string? SenderAddress = null, Guid? MessageId = null, SignInMethods AllowedMethods = SignInMethods.None, DateTimeOffset? ExpiresAt = null)
{
    /// <summary>
    /// The page for a refused access decision about message <paramref name="messageId"/>: expired and revoked
    /// name the sender (only a recipient of the message gets these decisions; a stranger gets "not found"),
    /// expired says when, "sign in another way" lists the allowed methods, everything else is "not found".
    /// </summary>
    public static Unavailable For(AccessDecision decision, Guid messageId) => decision switch
    {
        AccessDecision.Expired expired => new Unavailable(UnavailableKind.Expired, expired.SenderAddress, ExpiresAt: expired.ExpiresAt),
        AccessDecision.Revoked revoked => new Unavailable(UnavailableKind.Revoked, revoked.SenderAddress),
        AccessDecision.NeedsOtherSignIn other => new Unavailable(UnavailableKind.NeedsOtherSignIn, MessageId: messageId, AllowedMethods: other.Allowed),
        _ => new Unavailable(UnavailableKind.NotFound),
    };

    /// <summary>Where "sign in another way" leads: the sign-in page, then back to the message.</summary>
    public string? SignInAgainUrl => Kind == UnavailableKind.NeedsOtherSignIn && MessageId is { } id
        ? ReadingEndpoints.SignInUrl(ReadingEndpoints.MessageUrl(id))
        : null;

    public int StatusCode => Kind switch
    {
        UnavailableKind.NotFound => StatusCodes.Status404NotFound,
        UnavailableKind.Expired or UnavailableKind.Revoked => StatusCodes.Status410Gone,
        UnavailableKind.DownloadRefused or UnavailableKind.NeedsOtherSignIn => StatusCodes.Status403Forbidden,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    public string TitleKey => Kind switch
    {
        UnavailableKind.NotFound => "NotFoundTitle",
        UnavailableKind.Expired => "ExpiredTitle",
        UnavailableKind.Revoked => "RevokedTitle",
        UnavailableKind.DownloadRefused => "DownloadRefusedTitle",
        UnavailableKind.NeedsOtherSignIn => "OtherSignInTitle",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };
}
