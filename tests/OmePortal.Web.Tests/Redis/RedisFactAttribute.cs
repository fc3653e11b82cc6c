using OmePortal.Testing;

namespace OmePortal.Web.Tests.Redis;

/// <summary>A test that needs the redis-server of ./test.sh: skipped without one outside CI, run (and failing) under CI=true.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        Skip = TestEnvironment.RedisSkipReason;
    }
}
