node { name = "a" }

link("a", "nowhere")
