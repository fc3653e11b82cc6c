using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>
/// Per request: the message row the access decision just loaded, so that opening the message it
/// granted does not query the same row again. Taken once; a second decision loads afresh.
/// </summary>
public sealed class LoadedMessages
{
    private MessageRecord? loaded;

    internal void Remember(MessageRecord record) => loaded = record;

    /// <summary>The row loaded for <paramref name="messageId"/> by the last decision of this request, once; else null.</summary>
    public MessageRecord? Take(Guid messageId)
    {
        var record = loaded;
        loaded = null;
        return record is not null && record.Id == messageId ? record : null;
    }
}
