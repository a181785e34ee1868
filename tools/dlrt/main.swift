print("dlrt")
