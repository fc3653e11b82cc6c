using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OmePortal.Data.Migrations.Sqlite
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
                type: "BLOB",
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
