package sanitize_test

import (
	"fmt"

	"github.com/vaultchat/vaultchat/internal/sanitize"
)

func ExampleString() {
	fmt.Println(sanitize.String("copy \x1b]52;c;aGk=\x07 then \u202eevil\r\nnext line"))
	// Output:
	// copy ␛]52;c;aGk=␇ then <U+202E>evil
	// next line
}

func ExampleStream() {
	var s sanitize.Stream
	for _, piece := range []string{"red: \x1b", "[31mtext\r", "\n"} {
		fmt.Printf("%q\n", s.Write(piece))
	}
	fmt.Printf("%q\n", s.Flush())
	// Output:
	// "red: ␛"
	// "[31mtext"
	// "\n"
	// ""
}

func ExampleMarkdown() {
	fmt.Println(sanitize.Markdown("an entity &#27;[2J and &lt;b&gt;"))
	// Output: an entity &amp;#27;[2J and &lt;b&gt;
}
