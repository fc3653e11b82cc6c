using System.Text.Json;
using System.Text.Json.Serialization;

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

    private static JsonException NullModel() => new("The render model JSON is null.");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RenderModel))]
internal sealed partial class RenderModelJsonContext : JsonSerializerContext
{
}
