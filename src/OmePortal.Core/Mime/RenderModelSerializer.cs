using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OmePortal.Core.Mime;

/// <summary>UTF-8 JSON for <see cref="RenderModel"/> (source-generated, no reflection).</summary>
public static class RenderModelSerializer
{
    public static byte[] Serialize(RenderModel m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return JsonSerializer.SerializeToUtf8Bytes(m, RenderModelJsonContext.Default.RenderModel);
    }

    public static Task SerializeAsync(Stream destination, RenderModel m, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(m);
        return JsonSerializer.SerializeAsync(destination, m, RenderModelJsonContext.Default.RenderModel, ct);
    }

    /// <exception cref="JsonException">The JSON is not a render model.</exception>
    public static RenderModel Deserialize(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();

    /// <exception cref="JsonException">The JSON is not a render model.</exception>
    public static RenderModel Deserialize(Stream s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return JsonSerializer.Deserialize(s, RenderModelJsonContext.Default.RenderModel) ?? throw NullModel();
    }

    /// <exception cref="JsonException">The JSON is not a render model.</exception>
    public static async ValueTask<RenderModel> DeserializeAsync(Stream s, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        return await JsonSerializer.DeserializeAsync(s, RenderModelJsonContext.Default.RenderModel, ct).ConfigureAwait(false)
            ?? throw NullModel();
    }

    /// <summary>
    /// The model without its bodies, for pages that show a message's headers, attachments and thread
    /// but not its body (the body frame reads it apart). A body is most of a render model and, as a
    /// .NET string, often large enough for the large object heap, whose collections stall every
    /// request; here the parser skips over it and keeps only whether it is there.
    /// </summary>
    /// <exception cref="JsonException">The JSON is not a render model.</exception>
    public static RenderModel DeserializeSummary(ReadOnlySpan<byte> utf8Json)
    {
        var model = JsonSerializer.Deserialize(utf8Json, SummaryTypeInfo) ?? throw NullModel();
        model.BodiesOmitted = true;
        return model;
    }

    /// <summary>
    /// The HTML body as UTF-8 (unescaped), copied into a pooled buffer, without ever becoming a .NET
    /// string; null when the model has none. For writing the body straight to a response.
    /// </summary>
    /// <exception cref="JsonException">The JSON is not a render model.</exception>
    public static PooledUtf8? CopyHtmlBody(ReadOnlySpan<byte> utf8Json)
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

    private static readonly JsonTypeInfo<RenderModel> SummaryTypeInfo = (JsonTypeInfo<RenderModel>)new JsonSerializerOptions(RenderModelJsonContext.Default.Options)
    {
        TypeInfoResolver = RenderModelJsonContext.Default.WithAddedModifier(info =>
        {
            if (info.Type != typeof(RenderModel))
            {
                return;
            }

            foreach (var property in info.Properties)
            {
                if (property.Name.Equals(nameof(RenderModel.HtmlBody), StringComparison.OrdinalIgnoreCase)
                    || property.Name.Equals(nameof(RenderModel.TextBody), StringComparison.OrdinalIgnoreCase))
                {
                    property.CustomConverter = PresenceOnlyConverter.Instance;
                }
            }
        }),
    }.GetTypeInfo(typeof(RenderModel));

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
