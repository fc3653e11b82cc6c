using StackExchange.Redis;
using Microsoft.Extensions.Options;

namespace OmePortal.Web.Redis;

/// <summary>
/// The Redis that several portal nodes share their short-lived state through (rate-limit counters, brand-preview
/// drafts). Unset, each node keeps that state in its own memory (docs/ARCHITECTURE.md §10).
/// </summary>
public sealed class RedisOptions
{
    public const string Section = "OmePortal:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis.internal:6379,password=…,ssl=true</c>; empty for none.</summary>
    public string? Configuration { get; set; }

    /// <summary>The prefix of every key the portal writes, so one Redis can serve several portals (or other programs) without collisions.</summary>
    public string InstanceName { get; set; } = "omeportal";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Configuration);
}

/// <summary>A configuration string that StackExchange.Redis would refuse fails the start, not the first request that needs Redis.</summary>
public sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.InstanceName) || options.InstanceName.Any(c => char.IsWhiteSpace(c) || c is '{' or '}'))
        {
            return ValidateOptionsResult.Fail($"{RedisOptions.Section}:InstanceName must be a non-empty name without spaces or braces.");
        }

        if (!options.IsConfigured)
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            var parsed = ConfigurationOptions.Parse(options.Configuration!);
            return parsed.EndPoints.Count == 0
                ? ValidateOptionsResult.Fail($"{RedisOptions.Section}:Configuration names no server (expected host:port).")
                : ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            // The parser's message names the offending keyword, never a password's value.
            return ValidateOptionsResult.Fail($"{RedisOptions.Section}:Configuration is not a valid StackExchange.Redis configuration: {e.Message}");
        }
    }
}
