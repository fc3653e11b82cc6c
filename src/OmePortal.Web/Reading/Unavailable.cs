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
}

/// <param name="SenderAddress">Who to ask (expired, revoked); null otherwise.</param>
/// <param name="MessageId">The message to go back to (download refused); null otherwise.</param>
public sealed record Unavailable(UnavailableKind Kind, string? SenderAddress = null, Guid? MessageId = null)
{
    /// <summary>The page for a refused access decision (expired and revoked name the sender; everything else is "not found").</summary>
    public static Unavailable For(AccessDecision decision) => decision switch
    {
        AccessDecision.Expired expired => new Unavailable(UnavailableKind.Expired, expired.SenderAddress),
        AccessDecision.Revoked revoked => new Unavailable(UnavailableKind.Revoked, revoked.SenderAddress),
        _ => new Unavailable(UnavailableKind.NotFound),
    };

    public int StatusCode => Kind switch
    {
        UnavailableKind.NotFound => StatusCodes.Status404NotFound,
        UnavailableKind.Expired or UnavailableKind.Revoked => StatusCodes.Status410Gone,
        UnavailableKind.DownloadRefused => StatusCodes.Status403Forbidden,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    public string TitleKey => Kind switch
    {
        UnavailableKind.NotFound => "NotFoundTitle",
        UnavailableKind.Expired => "ExpiredTitle",
        UnavailableKind.Revoked => "RevokedTitle",
        UnavailableKind.DownloadRefused => "DownloadRefusedTitle",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };
}
