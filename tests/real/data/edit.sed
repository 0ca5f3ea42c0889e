# Edits of tests/real/data/words.txt.
1i\
-- start --
s/an/AN/g
/^apple$/d
s/\([a-z]*\),\([a-z]*\)/\2 then \1/
/kiwi/,/mango/s/^/> /
y/aeiou/AEIOU/
$a\
-- end --
