using System.Text;
using MimeKit;

namespace OmePortal.Testing.Interop;

/// <summary>One leaf of a MIME tree as a reader sees it: its type, file name and decoded content.</summary>
public sealed record MimeLeaf(string MimeType, string? FileName, byte[] Content)
{
    public override string ToString() => $"{MimeType} {FileName} ({Content.Length} bytes)";
}

/// <summary>
/// Flattens a MIME tree to its leaves with decoded content (text as UTF-8 of the decoded characters), so
/// a message that went through signing and encryption can be compared with the original: transfer
/// encodings may change (signing forces 7-bit), the content must not.
/// </summary>
public static class MimeLeaves
{
    public static IReadOnlyList<MimeLeaf> Of(MimeEntity? entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var leaves = new List<MimeLeaf>();
        Collect(entity, leaves);
        return leaves;
    }

    public static IReadOnlyList<MimeLeaf> Of(byte[] mime) => Of(MimeEntity.Load(new MemoryStream(mime)));

    /// <summary>The decoded bytes of one part: UTF-8 of the text for text parts, the decoded content otherwise.</summary>
    public static byte[] Decoded(MimeEntity entity)
    {
        switch (entity)
        {
            case TextPart text:
                return Encoding.UTF8.GetBytes(text.Text);
            case MimePart part:
                using (var content = new MemoryStream())
                {
                    part.Content?.DecodeTo(content);
                    return content.ToArray();
                }

            case MessagePart message:
                using (var content = new MemoryStream())
                {
                    message.Message?.WriteTo(content);
                    return content.ToArray();
                }

            default:
                throw new ArgumentException($"{entity.ContentType.MimeType} is not a leaf.", nameof(entity));
        }
    }

    private static void Collect(MimeEntity entity, List<MimeLeaf> leaves)
    {
        if (entity is Multipart multipart)
        {
            foreach (var child in multipart)
            {
                Collect(child, leaves);
            }

            return;
        }

        leaves.Add(new MimeLeaf(entity.ContentType.MimeType, (entity as MimePart)?.FileName, Decoded(entity)));
    }
}

/// <summary>Leaves are equal when type, file name and content are equal (a record compares its array by reference).</summary>
public sealed class MimeLeafComparer : IEqualityComparer<MimeLeaf>
{
    public static readonly MimeLeafComparer Instance = new();

    public bool Equals(MimeLeaf? x, MimeLeaf? y) =>
        x is not null && y is not null && x.MimeType == y.MimeType && x.FileName == y.FileName && x.Content.AsSpan().SequenceEqual(y.Content);

    public int GetHashCode(MimeLeaf obj) => HashCode.Combine(obj.MimeType, obj.FileName, obj.Content.Length);
}
