using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace OmePortal.Data;

/// <summary>
/// An EF Core compiled query (<see cref="EF.CompileAsyncQuery{TContext, TResult}(System.Linq.Expressions.Expression{Func{TContext, TResult}})"/>),
/// compiled once per model. A compiled query refuses every model but the one it first ran with, and a
/// process can hold several: one per provider (the tests run SQLite and PostgreSQL hosts side by side).
/// For the few lookups on every reading request: a compiled query skips EF's per-call expression
/// funcletising, cache lookup and parameter-delegate building (bench/RESULTS.md).
/// </summary>
public sealed class CompiledPerModel<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _compiled = new();

    public TQuery For(DbContext db) =>
        _compiled.TryGetValue(db.Model, out var query) ? query : _compiled.GetValue(db.Model, _ => compile());
}
