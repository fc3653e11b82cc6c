using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>
/// Per request: the message row the access decision just loaded, so that opening the message it
/// granted does not query the same row again. Taken once; a second decision loads afresh.
/// </summary>
public sealed class LoadedMessages
{
    private MessageRecord? loaded;
    private (Guid MessageId, bool Others)? conversation;

    internal void Remember(MessageRecord record, bool? othersInConversation)
    {
        loaded = record;
        conversation = othersInConversation is { } others ? (record.Id, others) : null;
    }

    /// <summary>
    /// Whether other messages share <paramref name="messageId"/>'s conversation, as the last decision of this
    /// request found (the message page lists a thread only then); null when it did not ask. Not taken:
    /// it is a fact about the conversation, not a copy of a row.
    /// </summary>
    public bool? OthersInConversation(Guid messageId) =>
        conversation is { } known && known.MessageId == messageId ? known.Others : null;

    /// <summary>The row loaded for <paramref name="messageId"/> by the last decision of this request, once; else null.</summary>
    public MessageRecord? Take(Guid messageId)
    {
        var record = loaded;
        loaded = null;
        return record is not null && record.Id == messageId ? record : null;
    }
}
