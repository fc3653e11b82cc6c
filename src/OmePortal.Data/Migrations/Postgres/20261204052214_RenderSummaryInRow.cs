using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OmePortal.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RenderSummaryInRow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "SealedSummary",
                table: "Messages",
                type: "bytea",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "SealedSummary",
                table: "Messages");
        }
    }
}
