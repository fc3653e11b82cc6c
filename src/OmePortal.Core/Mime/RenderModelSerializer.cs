using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OmePortal.Core.Mime;

/// <summary>
/// Stores a <see cref="RenderModel"/> (source-generated JSON, no reflection) with its bodies apart:
/// <c>[0x01][summary length][HTML length][text length]</c> (little-endian int32, -1 for no body), then
/// the model's JSON without the bodies, then the HTML and the text as UTF-8. Pages that show a message
/// but not its body read only the small JSON, and the body frame takes the HTML bytes as they are:
/// parsing (and validating) a large body inside a JSON string was a measured share of every read.
/// Models stored earlier as one JSON document (it never starts with 0x01) are still read.
/// <see cref="SerializeSummary"/> writes the summary alone, <c>[0x02][HTML state][text state]</c> then the
/// same JSON, for the pages that never show a body (the states say none, empty or present).
/// </summary>
public static class RenderModelSerializer
{
    private const byte FramedFormat = 0x01;
    private const int HeaderLength = 13;
    private const byte SummaryFormat = 0x02;
    private const int SummaryHeaderLength = 3;

    public static byte[] Serialize(RenderModel m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.BodiesOmitted)
        {
            throw new InvalidOperationException("A render model summary has no bodies to store.");
        }

        var summary = JsonSerializer.SerializeToUtf8Bytes(m, WithoutBodiesTypeInfo);
        var html = m.HtmlBody is null ? -1 : Encoding.UTF8.GetByteCount(m.HtmlBody);
        var text = m.TextBody is null ? -1 : Encoding.UTF8.GetByteCount(m.TextBody);
        var stored = new byte[checked(HeaderLength + summary.Length + Math.Max(html, 0) + Math.Max(text, 0))];
        stored[0] = FramedFormat;
        BinaryPrimitives.WriteInt32LittleEndian(stored.AsSpan(1), summary.Length);
        BinaryPrimitives.WriteInt32LittleEndian(stored.AsSpan(5), html);
        BinaryPrimitives.WriteInt32LittleEndian(stored.AsSpan(9), text);
        summary.CopyTo(stored, HeaderLength);
        var at = HeaderLength + summary.Length;
        if (m.HtmlBody is not null)
        {
            at += Encoding.UTF8.GetBytes(m.HtmlBody, stored.AsSpan(at));
        }

        if (m.TextBody is not null)
        {
            Encoding.UTF8.GetBytes(m.TextBody, stored.AsSpan(at));
        }

        return stored;
    }

    /// <summary>
    /// The model without its bodies, as <see cref="DeserializeSummary(ReadOnlySpan{byte})"/> reads it back: a
    /// few hundred bytes where the stored model may be megabytes, so a page that shows a message but
    /// not its body need not decrypt the body at all.
    /// </summary>
    public static byte[] SerializeSummary(RenderModel m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var json = JsonSerializer.SerializeToUtf8Bytes(m, WithoutBodiesTypeInfo);
        var stored = new byte[SummaryHeaderLength + json.Length];
        stored[0] = SummaryFormat;
        stored[1] = BodyState(m.HtmlBody);
        stored[2] = BodyState(m.TextBody);
        json.CopyTo(stored, SummaryHeaderLength);
        return stored;
    }

    /// <exception cref="JsonException">The bytes are not a stored render model.</exception>
    public static RenderModel Deserialize(ReadOnlySpan<byte> stored)
    {
        RejectSummary(stored);
        if (!Frame.TryRead(stored, out var frame))
        {
            return JsonSerializer.Deserialize(stored, RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();
        }

        var model = JsonSerializer.Deserialize(frame.Summary, RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();
        model.AttachBodies(frame.HasHtml ? Encoding.UTF8.GetString(frame.Html) : null, frame.HasText ? Encoding.UTF8.GetString(frame.Text) : null);
        return model;
    }

    /// <exception cref="JsonException">The stream does not hold a stored render model.</exception>
    public static RenderModel Deserialize(Stream s)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return Deserialize(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    /// <summary>
    /// The model without its bodies, for pages that show a message's headers, attachments and thread
    /// but not its body (the body frame reads it apart). A body is most of a render model and, as a
    /// .NET string, often large enough for the large object heap, whose collections stall every
    /// request; here only the small JSON is parsed, and the bodies are only said to be there or not.
    /// </summary>
    /// <exception cref="JsonException">The bytes are not a stored render model.</exception>
    public static RenderModel DeserializeSummary(ReadOnlySpan<byte> stored)
    {
        RenderModel model;
        if (!stored.IsEmpty && stored[0] == SummaryFormat)
        {
            if (stored.Length < SummaryHeaderLength)
            {
                throw new JsonException("The stored render model summary is truncated.");
            }

            model = JsonSerializer.Deserialize(stored[SummaryHeaderLength..], RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();
            model.AttachBodies(Presence(stored[1]), Presence(stored[2]));
        }
        else if (Frame.TryRead(stored, out var frame))
        {
            model = JsonSerializer.Deserialize(frame.Summary, RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();
            model.AttachBodies(Presence(frame.HasHtml, frame.Html), Presence(frame.HasText, frame.Text));
        }
        else
        {
            model = JsonSerializer.Deserialize(stored, SummaryTypeInfo) ?? throw NullModel();
        }

        model.BodiesOmitted = true;
        return model;
    }

    /// <summary>As <see cref="DeserializeSummary(ReadOnlySpan{byte})"/>, from a (decrypting) stream.</summary>
    /// <exception cref="JsonException">The stream does not hold a stored render model.</exception>
    public static async ValueTask<RenderModel> DeserializeSummaryAsync(Stream s, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var copy = new MemoryStream();
        await s.CopyToAsync(copy, ct).ConfigureAwait(false);
        return DeserializeSummary(copy.GetBuffer().AsSpan(0, (int)copy.Length));
    }

    /// <summary>
    /// The HTML body as UTF-8, copied into a pooled buffer, without ever becoming a .NET string;
    /// null when the model has none. For writing the body straight to a response.
    /// </summary>
    /// <exception cref="JsonException">The bytes are not a stored render model.</exception>
    public static PooledUtf8? CopyHtmlBody(ReadOnlySpan<byte> stored)
    {
        RejectSummary(stored);
        if (Frame.TryRead(stored, out var frame))
        {
            if (!frame.HasHtml)
            {
                return null;
            }

            var copy = new PooledUtf8(frame.Html.Length) { Length = frame.Html.Length };
            frame.Html.CopyTo(copy.Array);
            return copy;
        }

        return CopyHtmlBodyFromJson(stored);
    }

    private static PooledUtf8? CopyHtmlBodyFromJson(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A render model is a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isHtmlBody = reader.ValueTextEquals("htmlBody"u8);
            reader.Read();
            if (!isHtmlBody)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException("The HTML body of a render model is not a string.");
            }

            // Unescaping never makes a JSON string longer.
            var buffer = new PooledUtf8(reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length);
            buffer.Length = reader.CopyString(buffer.Array);
            return buffer;
        }

        return null;
    }

    private static string? Presence(bool present, ReadOnlySpan<byte> body) =>
        !present ? null : body.IsEmpty ? string.Empty : RenderModel.OmittedBody;

    private const byte NoBody = 0;
    private const byte EmptyBody = 1;
    private const byte SomeBody = 2;

    private static byte BodyState(string? body) => body is null ? NoBody : body.Length == 0 ? EmptyBody : SomeBody;

    private static string? Presence(byte state) => state switch
    {
        NoBody => null,
        EmptyBody => string.Empty,
        SomeBody => RenderModel.OmittedBody,
        _ => throw new JsonException("The stored render model summary has an unknown body state."),
    };

    /// <summary>A summary has no bodies to give: asking it for them is a caller's mistake, not damage.</summary>
    private static void RejectSummary(ReadOnlySpan<byte> stored)
    {
        if (!stored.IsEmpty && stored[0] == SummaryFormat)
        {
            throw new JsonException("A stored render model summary has no bodies.");
        }
    }

    /// <summary>The three parts of the framed layout, checked against the header's lengths.</summary>
    private readonly ref struct Frame
    {
        public ReadOnlySpan<byte> Summary { get; private init; }

        public bool HasHtml { get; private init; }

        public ReadOnlySpan<byte> Html { get; private init; }

        public bool HasText { get; private init; }

        public ReadOnlySpan<byte> Text { get; private init; }

        public static bool TryRead(ReadOnlySpan<byte> stored, out Frame frame)
        {
            frame = default;
            if (stored.IsEmpty || stored[0] != FramedFormat)
            {
                return false;
            }

            if (stored.Length < HeaderLength)
            {
                throw Damaged();
            }

            var summary = BinaryPrimitives.ReadInt32LittleEndian(stored[1..]);
            var html = BinaryPrimitives.ReadInt32LittleEndian(stored[5..]);
            var text = BinaryPrimitives.ReadInt32LittleEndian(stored[9..]);
            if (summary < 0 || html < -1 || text < -1
                || (long)HeaderLength + summary + Math.Max(html, 0) + Math.Max(text, 0) != stored.Length)
            {
                throw Damaged();
            }

            var rest = stored[HeaderLength..];
            frame = new Frame
            {
                Summary = rest[..summary],
                HasHtml = html >= 0,
                Html = rest.Slice(summary, Math.Max(html, 0)),
                HasText = text >= 0,
                Text = rest.Slice(summary + Math.Max(html, 0), Math.Max(text, 0)),
            };
            return true;
        }

        private static JsonException Damaged() => new("The stored render model's lengths do not add up.");
    }

    /// <summary>The model's JSON in the framed layout: the bodies are stored after it, not in it.</summary>
    private static readonly JsonTypeInfo<RenderModel> WithoutBodiesTypeInfo =
        WithBodyProperties(static body => body.ShouldSerialize = static (_, _) => false);

    /// <summary>For models stored as one JSON document: the bodies' strings are skipped, not read.</summary>
    private static readonly JsonTypeInfo<RenderModel> SummaryTypeInfo =
        WithBodyProperties(static body => body.CustomConverter = PresenceOnlyConverter.Instance);

    /// <summary>The render model's contract with <paramref name="change"/> applied to its two body properties.</summary>
    private static JsonTypeInfo<RenderModel> WithBodyProperties(Action<JsonPropertyInfo> change) =>
        (JsonTypeInfo<RenderModel>)new JsonSerializerOptions(RenderModelJsonContext.Default.Options)
        {
            TypeInfoResolver = RenderModelJsonContext.Default.WithAddedModifier(info =>
            {
                if (info.Type != typeof(RenderModel))
                {
                    return;
                }

                foreach (var property in info.Properties.Where(IsBody))
                {
                    change(property);
                }
            }),
        }.GetTypeInfo(typeof(RenderModel));

    private static bool IsBody(JsonPropertyInfo property) =>
        property.Name.Equals(nameof(RenderModel.HtmlBody), StringComparison.OrdinalIgnoreCase)
        || property.Name.Equals(nameof(RenderModel.TextBody), StringComparison.OrdinalIgnoreCase);

    private static JsonException NullModel() => new("The render model JSON is null.");

    /// <summary>Reads a string as null, empty or <see cref="RenderModel.OmittedBody"/>, never allocating its text.</summary>
    private sealed class PresenceOnlyConverter : JsonConverter<string?>
    {
        public static readonly PresenceOnlyConverter Instance = new();

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Null => null,
                JsonTokenType.String => reader.HasValueSequence ? (reader.ValueSequence.IsEmpty ? string.Empty : RenderModel.OmittedBody)
                    : reader.ValueSpan.IsEmpty ? string.Empty : RenderModel.OmittedBody,
                _ => throw new JsonException("A body of a render model is not a string."),
            };

        public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) =>
            throw new NotSupportedException("A render model summary is never written.");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RenderModel))]
internal sealed partial class RenderModelJsonContext : JsonSerializerContext
{
}

/// <summary>UTF-8 text in a pooled array, cleared when given back (it may be decrypted content).</summary>
public sealed class PooledUtf8 : IDisposable
{
    private byte[]? _array;

    internal PooledUtf8(int capacity) => _array = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));

    internal byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledUtf8));

    public int Length { get; internal set; }

    public ReadOnlyMemory<byte> Memory => Array.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Array.AsSpan(0, Length);

    public void Dispose()
    {
        if (_array is { } array)
        {
            _array = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(array, clearArray: true);
        }
    }
}
